import { startDemo } from './app.js';

startDemo('/sw.js');
