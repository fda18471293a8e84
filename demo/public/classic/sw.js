// A classic service worker without a bundler: the broker comes from its classic build
// (sw-token-broker/sw/classic, here served next to this file) through importScripts.
importScripts('./sw.classic.js');

SwTokenBroker.installTokenBroker({
  name: 'demo-classic',
  endpoint: SwTokenBroker.jsonEndpoint({ loginUrl: '/auth/login', refreshUrl: '/auth/refresh', logoutUrl: '/auth/logout' }),
  apiAllowlist: [self.location.origin + '/api/'],
  skipWaiting: true,
});

// The worker's own code goes on as before, for example:
self.addEventListener('message', (event) => {
  if (event.data === 'hello') event.ports[0]?.postMessage('hello from the classic worker');
});
