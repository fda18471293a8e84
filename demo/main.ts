import { startDemo } from './app.js';
import { renderLayout } from './layout.js';

renderLayout('/');
startDemo('/sw.js');
