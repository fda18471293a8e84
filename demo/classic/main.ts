import { startDemo } from '../app.js';
import { renderLayout } from '../layout.js';

renderLayout('/classic/');
// A plain classic worker that loads the broker with importScripts.
startDemo('/classic/sw.js', '/classic/');
