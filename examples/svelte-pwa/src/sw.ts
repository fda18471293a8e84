/// <reference lib="webworker" />
// The app's service worker, built by vite-plugin-pwa (injectManifest): Workbox precaches
// the app shell, and the token broker runs in the same worker.
import { installTokenBroker, jsonEndpoint } from 'sw-token-broker/sw';
import { cleanupOutdatedCaches, precacheAndRoute } from 'workbox-precaching';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<{ url: string; revision: string | null }> };

installTokenBroker({
  endpoint: jsonEndpoint({ loginUrl: '/auth/login', refreshUrl: '/auth/refresh', logoutUrl: '/auth/logout' }),
  apiAllowlist: [`${self.location.origin}/api/`],
});

cleanupOutdatedCaches();
precacheAndRoute(self.__WB_MANIFEST);
self.addEventListener('install', () => void self.skipWaiting());
