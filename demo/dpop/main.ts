import { startDemo } from '../app.js';

// Sealed mode with DPoP: its own worker and scope; tokens are bound to the worker's key.
startDemo('/dpop/sw.js', '/dpop/');
