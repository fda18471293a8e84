/**
 * Several APIs through one broker: this origin's /api/ with the login's token, and a second
 * API on another origin with a token of its own audience. `window.demo.apiB` is the second
 * API's axios instance.
 */
import axios from 'axios';
import { attachTokenBroker, registerTokenBroker } from '../../src/index.js';
import { wireControls } from '../controls.js';
import { renderLayout } from '../layout.js';
import { $, describe, fireCalls, log, onCounters, tabName, watchCounters } from '../ui.js';

renderLayout('/apis/');

async function main(): Promise<void> {
  $('tab-name').textContent = tabName();
  $('log').closest('section')!.insertAdjacentHTML(
    'beforebegin',
    `<section class="card" id="apis-card">
    <h2>Two APIs, one token each <span class="muted">(all tabs)</span></h2>
    <p class="hint">Log in, then call both APIs in every tab at once after the tokens expire: the server sees one refresh grant per API, never a reuse, and neither API ever receives the other's token.</p>
    <div class="actions"><button id="fire-b" class="primary">Fire 10 calls to the second API</button><button id="fire-both" class="primary">…to both APIs</button></div>
    <dl class="facts"><dt>Grants for this origin's API</dt><dd id="grants-default">0</dd><dt>Grants for the second API</dt><dd id="grants-b">0</dd><dt>Tokens sent to the wrong API</dt><dd id="wrong-audience">0</dd></dl>
  </section>`,
  );
  onCounters((stats) => {
    const counted = stats as typeof stats & { grantsByResource?: Record<string, number>; wrongAudience?: number };
    $('grants-default').textContent = String(counted.grantsByResource?.default ?? 0);
    $('grants-b').textContent = String(counted.grantsByResource?.['https://api-b.demo'] ?? 0);
    $('wrong-audience').textContent = String(counted.wrongAudience ?? 0);
  });
  watchCounters();
  const { vaultOrigin } = (await (await fetch('/auth/config')).json()) as { vaultOrigin: string | null };
  const broker = await registerTokenBroker('/apis/sw.js', { scope: '/apis/' });
  const api = axios.create({ baseURL: '/' });
  const apiB = axios.create({ baseURL: `${vaultOrigin ?? location.origin}/api/b/` });
  attachTokenBroker(api, broker);
  attachTokenBroker(apiB, broker);
  window.demo = { broker, api, apiB };
  document.body.dataset.ready = 'true';
  log('info', `Connected to the broker (${broker.mode} mode), two APIs`);
  broker.on('refreshed', (event) => log('info', `Broker: tokens refreshed, generation ${event.status.generation}`));
  wireControls(broker, api, `demo-fire-${broker.name}`);
  $('fire-b').addEventListener('click', () => void fireCalls(() => apiB.get('data')));
  $('fire-both').addEventListener('click', () => void fireCalls(() => Promise.all([api.get('/api/data'), apiB.get('data')])));
}

main().catch((error: unknown) => {
  log('error', `The broker could not start: ${describe(error)}`);
  document.body.dataset.ready = 'error';
});
