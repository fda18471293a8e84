/**
 * The page the third-party-server tests open: registers the fixture worker, attaches the
 * broker to an axios instance, and exposes both as `window.demo` like the demo pages do.
 */
import axios from 'axios';
import { attachTokenBroker, registerTokenBroker } from '../../../src/index.js';

async function start(): Promise<void> {
  const broker = await registerTokenBroker('/sw.js');
  const api = axios.create();
  attachTokenBroker(api, broker);
  window.demo = { broker, api };
  document.body.dataset.ready = 'true';
}

start().catch((error: unknown) => {
  console.error(error);
  document.body.dataset.ready = 'error';
});
