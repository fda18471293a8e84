// The page: register the worker, attach the broker to axios, call the API.
import axios from 'axios';
import { attachTokenBroker, hasErrorCode, registerTokenBroker } from 'sw-token-broker';

// In `vite` dev, vite-plugin-pwa serves the worker as an ES module at /dev-sw.js?dev-sw;
// the production build has a classic /sw.js.
const broker = import.meta.env.DEV
  ? await registerTokenBroker('/dev-sw.js?dev-sw', { type: 'module', scope: '/' })
  : await registerTokenBroker('/sw.js');
const api = axios.create({ baseURL: '/api' });
attachTokenBroker(api, broker);

const $ = (id: string) => document.getElementById(id)!;
const show = async () => {
  const status = await broker.status();
  $('state').textContent = status.loggedIn ? `Logged in (token ${status.generation})` : 'Logged out';
};
$('login').addEventListener('click', async () => {
  await broker.login({ username: 'demo', password: 'demo' });
  await show();
});
$('call').addEventListener('click', async () => {
  try {
    const { data } = await api.get('/me');
    $('out').textContent = JSON.stringify(data);
  } catch (error) {
    $('out').textContent = hasErrorCode(error, 'session-ended') ? 'Session ended: log in again' : String(error);
  }
});
$('logout').addEventListener('click', async () => {
  await broker.logout();
  await show();
});
for (const event of ['login', 'refreshed', 'logged-out', 'session-ended'] as const) broker.on(event, () => void show());
await show();

// For the tests, as `window.demo` is for the demo.
Object.assign(window, { example: { broker, api } });
document.body.dataset.ready = 'true';
