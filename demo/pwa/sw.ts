/// <reference lib="webworker" />
/**
 * The example PWA's own worker, built by vite-plugin-pwa (injectManifest): Workbox
 * precaches the app shell and caches one runtime route, and the token broker runs in the
 * same worker. Only one worker can control a scope, so the broker joins this one.
 */
import { installTokenBroker, jsonEndpoint } from 'sw-token-broker/sw';
import { cleanupOutdatedCaches, precacheAndRoute } from 'workbox-precaching';
import { registerRoute } from 'workbox-routing';
import { NetworkFirst } from 'workbox-strategies';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<{ url: string; revision: string | null }> };

// 1. The broker first. Its fetch listener answers the API requests it signs (sealed mode)
//    and stops them there, so Workbox's router, whose listener is added below, never sees
//    them. Workbox routes are kept off the API allowlist anyway.
// No name: the storage namespace is the registration scope, so the same source serves two
// examples on one origin with separate sessions.
installTokenBroker({
  mode: 'sealed',
  endpoint: jsonEndpoint({ loginUrl: '/auth/login', refreshUrl: '/auth/refresh', logoutUrl: '/auth/logout' }),
  apiAllowlist: [`${self.location.origin}/api/`],
  ownsAllMessages: false, // Workbox and the app may post their own messages to this worker
});

// 2. Workbox: the app shell from the precache, and a runtime route for the server counters.
cleanupOutdatedCaches();
precacheAndRoute(self.__WB_MANIFEST);
registerRoute(({ url }) => url.pathname === '/auth/stats', new NetworkFirst({ cacheName: 'pwa-counters', networkTimeoutSeconds: 2 }));

// 3. Updates take over at once and keep the open tabs; the session lives in IndexedDB.
self.addEventListener('install', () => void self.skipWaiting());
