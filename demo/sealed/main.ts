import { startDemo } from '../app.js';
import { renderLayout } from '../layout.js';

renderLayout('/sealed/');
// Sealed mode: its own worker and scope; the page never receives a token.
startDemo('/sealed/sw.js', '/sealed/');
