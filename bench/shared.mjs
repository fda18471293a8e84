// @ts-check
/** What every benchmark measurement shares: the demo server, its test hooks, tabs, statistics. */
import { spawn } from 'node:child_process';
import { benchPorts } from '../scripts/ports.mjs';

export const [{ port: PORT }, { port: VAULT_PORT }] = benchPorts();
export const BASE = `http://127.0.0.1:${PORT}`;
/** The mock token endpoint's latency in every measurement but the slow rotation. */
export const REFRESH_DELAY_MS = 50;

/** @param {number[]} values @param {number} p */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
export const median = (/** @type {number[]} */ values) => percentile(values, 50);
export const round = (/** @type {number} */ n, digits = 2) => Number(n.toFixed(digits));

/**
 * Starts the built demo server with its test hooks; resolves once it listens. Its pages are
 * cross-origin isolated, for a 5 µs clock (server/static.ts).
 */
export async function startServer() {
  const child = spawn(process.execPath, ['dist/server/main.js'], {
    env: { ...process.env, PORT: String(PORT), VAULT_PORT: String(VAULT_PORT), TEST_HOOKS: '1', REFRESH_DELAY_MS: String(REFRESH_DELAY_MS), ACCESS_TTL: '600', CROSS_ORIGIN_ISOLATED: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`demo server exited with ${code}`)));
    child.stdout?.on('data', (chunk) => String(chunk).includes('http://') && resolve(undefined));
  });
  return child;
}

/** @param {string} path @param {unknown} [body] */
export async function post(path, body) {
  const response = await fetch(BASE + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return response.json();
}
export const stats = async () => (await fetch(`${BASE}/auth/stats`)).json();

/** The page each implementation runs in. */
export const PAGES = { broker: '/', fallback: '/', sealed: '/sealed/', recipe: '/recipe.html', 'axios-auth-refresh': '/bench/', plain: '/bench/', 'bench-broker': '/bench/', passthrough: '/bench/passthrough/', vault: '/vault/', 'handoff-dpop': '/dpop-handoff/' };

/** @param {import('playwright-core').BrowserContext} context @param {string} path */
export async function openTab(context, path) {
  const page = await context.newPage();
  await page.goto(BASE + path);
  await page.waitForFunction(() => document.body.dataset.ready === 'true', undefined, { timeout: 30_000 });
  return page;
}

/** In-page (evaluated as a string): the axios instance of an implementation. */
export const API_OF = `(impl) => impl === 'broker' || impl === 'fallback' || impl === 'sealed' || impl === 'vault' || impl === 'handoff-dpop' ? window.demo.api : impl === 'recipe' ? window.recipe.api : impl === 'axios-auth-refresh' ? window.bench.aar.api : impl === 'passthrough' ? window.passthrough.api : impl === 'bench-broker' ? window.bench.broker.api : window.bench.plain.api`;

/** @param {import('playwright-core').Page} page @param {string} impl */
export async function loginIn(page, impl) {
  await page.evaluate((impl) => {
    const w = /** @type {any} */ (window);
    if (impl === 'broker' || impl === 'fallback' || impl === 'sealed' || impl === 'vault' || impl === 'handoff-dpop') return w.demo.broker.login({ username: 'demo', password: 'demo' });
    if (impl === 'recipe') return w.recipe.login();
    if (impl === 'axios-auth-refresh') return w.bench.aar.login();
    if (impl === 'passthrough') return w.passthrough.login();
    // The broker beside the plain floor in one page: both logged in (two sessions of the mock).
    if (impl === 'bench-broker') return Promise.all([w.bench.plain.login(), w.bench.broker.login()]);
    return w.bench.plain.login();
  }, impl);
}

/**
 * Arms every tab to fire `count` parallel `api.get('/api/data')` when a message arrives on
 * the BroadcastChannel `channel` (so that all tabs start at once), and waits until each is
 * armed. Returns, per tab, a promise of how many of its requests failed.
 * @param {import('playwright-core').Page[]} tabs
 * @param {{ channel: string, count: number, apiOf: string, impl: string }} storm `apiOf`: in-page source of `(impl) => axios instance`
 */
export async function armStorm(tabs, { channel, count, apiOf, impl }) {
  const armed = tabs.map((tab) =>
    tab.evaluate(
      ({ impl, count, apiOf, channel }) =>
        new Promise((resolve) => {
          const api = (0, eval)(apiOf)(impl);
          const signal = new BroadcastChannel(channel);
          /** @type {any} */ (window).__armed = true;
          signal.onmessage = async () => {
            signal.close();
            const results = await Promise.allSettled(Array.from({ length: count }, () => api.get('/api/data')));
            resolve(results.filter((r) => r.status === 'rejected').length);
          };
        }),
      { impl, count, apiOf, channel },
    ),
  );
  // A tab that closes or crashes before the storm is awaited (its context closed after a failed
  // step) must not reject unhandled: that ended a 40-minute run once, writing nothing.
  for (const each of armed) each.catch(() => undefined);
  for (const tab of tabs) await tab.waitForFunction(() => /** @type {any} */ (window).__armed === true);
  return /** @type {Promise<number>[]} */ (armed);
}

/** A new random order of `items` (Fisher–Yates). @template T @param {T[]} items */
export function shuffled(items) {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}
