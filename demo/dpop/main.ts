import { startDemo } from '../app.js';
import { renderLayout } from '../layout.js';

renderLayout('/dpop/');
// Sealed mode with DPoP: its own worker and scope; tokens are bound to the worker's key.
startDemo('/dpop/sw.js', '/dpop/');
