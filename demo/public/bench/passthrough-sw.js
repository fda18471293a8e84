// The floor for sealed mode (npm run bench): a worker that adds a fixed Authorization header
// to this origin's API requests and forwards them, and does nothing else. Whatever sealed
// mode costs beyond this is the broker's; this much is the browser's.
let authorization = '';
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('message', (event) => {
  authorization = `Bearer ${event.data.token}`;
  event.ports[0]?.postMessage({ ok: true });
});
self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== self.location.origin || !url.pathname.startsWith('/api/')) return;
  const headers = new Headers(event.request.headers);
  headers.set('Authorization', authorization);
  event.respondWith(fetch(new Request(event.request, { headers })));
});
