// The cold start's second floor: a bare worker that, like any worker keeping its session on
// disk, reads one record from IndexedDB before it answers (a session-sized record, written
// at install into a database of its own). Between this and the broker: loading and running
// the broker's script.
const DB = 'bench-bare-worker';
const open = () =>
  new Promise((resolve, reject) => {
    const request = indexedDB.open(DB);
    request.onupgradeneeded = () => request.result.createObjectStore('kv');
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
const inStore = (mode, act) =>
  open().then(
    (db) =>
      new Promise((resolve, reject) => {
        const request = act(db.transaction('kv', mode).objectStore('kv'));
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      }),
  );
const record = { version: 1, refreshToken: 'r'.repeat(600), accessToken: 'a'.repeat(900), accessExpiresAt: 0, accessIssuedAt: 0, generation: 1 };
self.addEventListener('install', (event) => event.waitUntil(inStore('readwrite', (store) => store.put(record, 'session')).then(() => self.skipWaiting())));
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('message', (event) => {
  const port = event.ports[0];
  if (!port) return;
  event.waitUntil(inStore('readonly', (store) => store.get('session')).then((session) => port.postMessage({ ok: session?.generation === 1 })));
});
