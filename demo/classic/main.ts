import { startDemo } from '../app.js';

// A plain classic worker that loads the broker with importScripts.
startDemo('/classic/sw.js', '/classic/');
