import { startDemo } from '../app.js';
import { renderLayout } from '../layout.js';

renderLayout('/dpop-handoff/');
// Handoff mode with DPoP: the page sends the token, with a proof the worker signs per request.
startDemo('/dpop-handoff/sw.js', '/dpop-handoff/');
