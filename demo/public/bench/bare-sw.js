// A worker that only answers: the floor for the benchmark's cold start and message round
// trips. `{ connect: true }` with a port keeps that port and echoes every message on it
// (a persistent channel); any other message is answered once on the port it brought.
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('message', (event) => {
  const port = event.ports[0];
  if (!port) return;
  if (event.data && event.data.connect) port.onmessage = (message) => port.postMessage(message.data);
  port.postMessage({ ok: true });
});
