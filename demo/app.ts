/** The demo page with the broker (handoff or sealed): every tab shares one session and one refresh. */
import axios from 'axios';
import { attachTokenBroker, registerTokenBroker, type RegisterOptions } from '../src/index.js';
import { wireControls } from './controls.js';
import { wireOfflinePanel } from './offline-panel.js';
import { $, describe, log, tabName, watchCounters } from './ui.js';

declare global {
  interface Window {
    /** The broker (a BrokerClient; on /vault/ the VaultClient, which has login, logout and status) and the page's axios instance. */
    demo: {
      broker: import('../src/index.js').BrokerClient | import('../vault/index.js').VaultClient;
      api: import('axios').AxiosInstance;
      /** On /apis/: the second API's instance (another origin, its own token). */
      apiB?: import('axios').AxiosInstance;
    };
  }
}

/**
 * Starts the demo page against the worker at `scriptUrl`; with `fallback`, where no service
 * worker can run, against the same broker in the page.
 */
export function startDemo(scriptUrl: string, scope?: string, fallback?: RegisterOptions['fallback']): void {
  main(scriptUrl, scope, fallback).catch((error: unknown) => {
    log('error', `The broker could not start: ${describe(error)}`);
    document.body.dataset.ready = 'error';
  });
}

async function main(scriptUrl: string, scope: string | undefined, fallback: RegisterOptions['fallback']): Promise<void> {
  $('tab-name').textContent = tabName();
  watchCounters();
  const broker = await registerTokenBroker(scriptUrl, { scope, fallback });
  const api = axios.create({ baseURL: '/' });
  attachTokenBroker(api, broker);
  window.demo = { broker, api };
  document.body.dataset.ready = 'true';
  log('info', `Connected to the broker (${broker.mode} mode)`);

  broker.on('login', () => log('ok', 'Broker: logged in (some tab)'));
  broker.on('refreshed', (event) => log('info', `Broker: tokens refreshed, generation ${event.status.generation}`));
  broker.on('logged-out', () => log('warn', 'Broker: logged out (some tab)'));
  broker.on('session-ended', (event) => log('error', `Broker: session ended: ${event.reason ?? 'unknown reason'}`));
  broker.on('session-expiring', (event) => log('warn', `Broker: the session ends in ${Math.round(((event.status.sessionExpiresAt ?? Date.now()) - Date.now()) / 1000)} s: save your work`));

  wireControls(broker, api, `demo-fire-${broker.name}`);
  wireOfflinePanel(broker, api);
}
