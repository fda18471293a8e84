/**
 * The floor for sealed mode in `npm run bench`: plain axios with no token of its own, in a
 * page controlled by /bench/passthrough-sw.js, which adds a fixed Authorization header.
 */
import axios from 'axios';

const api = axios.create({ baseURL: '/' });

declare global {
  interface Window {
    passthrough: { api: typeof api; login(): Promise<void> };
  }
}

async function controller(): Promise<ServiceWorker> {
  await navigator.serviceWorker.register('/bench/passthrough-sw.js', { scope: '/bench/passthrough/' });
  await navigator.serviceWorker.ready;
  while (!navigator.serviceWorker.controller) await new Promise((resolve) => setTimeout(resolve, 20));
  return navigator.serviceWorker.controller;
}

window.passthrough = {
  api,
  /** Logs in with the mock server and gives the access token to the worker. */
  async login() {
    const { data } = await axios.post('/auth/login', { username: 'demo', password: 'demo' });
    const worker = await controller();
    await new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = resolve;
      worker.postMessage({ token: data.accessToken }, [channel.port2]);
    });
  },
};
void controller().then(() => (document.body.dataset.ready = 'true'));
