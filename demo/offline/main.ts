import { startDemo } from '../app.js';
import { renderLayout } from '../layout.js';

renderLayout('/offline/');
// Handoff mode with the offline queue: its own worker, scope and session.
startDemo('/offline/sw.js', '/offline/');
