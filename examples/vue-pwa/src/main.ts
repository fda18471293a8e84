import { createApp } from 'vue';
import { createTokenBroker } from 'sw-token-broker/vue';
import { App } from './App';
import { api } from './api';

// For the tests, as `window.demo` is for the demo: the app's objects, and each sign-out it saw.
const signedOut: string[] = [];
Object.assign(window, { example: { api, signedOut } });

// In `vite` dev, vite-plugin-pwa serves the worker as an ES module at /dev-sw.js?dev-sw.
const worker = import.meta.env.DEV ? { scriptUrl: '/dev-sw.js?dev-sw', options: { type: 'module' as const, scope: '/' } } : { scriptUrl: '/sw.js' };
const broker = createTokenBroker({ ...worker, axios: api, onSignedOut: (reason) => void signedOut.push(reason) });
const app = createApp(App).use(broker);
// Mounted once the broker is attached: the first requests carry the token.
await broker.ready;
app.mount('#app');
document.body.dataset.ready = 'true';
