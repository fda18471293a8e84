// The app's one service worker: the token broker, and Angular's own worker (ngsw) inside it.
// Both need the whole scope; two registrations for one scope replace each other, so the app
// registers this script for both (provideTokenBroker and provideServiceWorker, see app.config.ts).
importScripts('./sw.classic.js');

SwTokenBroker.installTokenBroker({
  endpoint: SwTokenBroker.jsonEndpoint({ loginUrl: '/auth/login', refreshUrl: '/auth/refresh', logoutUrl: '/auth/logout' }),
  apiAllowlist: [self.location.origin + '/api/'],
});

// After the broker: its listeners answer first (ngsw ignores the broker's messages, and the
// broker answers no fetch that ngsw serves in handoff mode).
importScripts('./ngsw-worker.js');
