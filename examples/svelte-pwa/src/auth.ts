// The broker, once per page: a hot reload of this module gets the same one, with its new callbacks.
import { createTokenBroker } from 'sw-token-broker/svelte';
import { api } from './api';

// For the tests, as `window.demo` is for the demo: the app's objects, and each sign-out it saw.
const signedOut: string[] = [];
Object.assign(window, { example: { api, signedOut } });

// In `vite` dev, vite-plugin-pwa serves the worker as an ES module at /dev-sw.js?dev-sw.
const worker = import.meta.env.DEV ? { scriptUrl: '/dev-sw.js?dev-sw', options: { type: 'module' as const, scope: '/' } } : { scriptUrl: '/sw.js' };

export const broker = createTokenBroker({ ...worker, axios: api, onSignedOut: (reason) => void signedOut.push(reason) });
export const session = broker.session;
