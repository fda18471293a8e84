import { startDemo } from '../app.js';

// Sealed mode: its own worker and scope; the page never receives a token.
startDemo('/sealed/sw.js', '/sealed/');
