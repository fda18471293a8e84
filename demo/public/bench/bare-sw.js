// A worker that only answers a ping: the floor for the benchmark's cold-start measurement.
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('message', (event) => event.ports[0]?.postMessage({ ok: true }));
