import { startDemo } from '../app.js';
import { renderLayout } from '../layout.js';

// The same worker source as the PWA example, bundled by Vite and given its precache
// manifest by workbox-build's injectManifest: the plain Workbox recipe.
renderLayout('/workbox/');
startDemo('/workbox/sw.js', '/workbox/');
