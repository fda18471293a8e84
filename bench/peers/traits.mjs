// @ts-check
/**
 * What tells the libraries apart beside the storm, measured the same way for each, in its
 * first setup (variants.mjs), in a browser profile of its own:
 *   - where page script can read a refresh token the library was handed: localStorage,
 *     sessionStorage, document.cookie, any IndexedDB database of the origin (what injected
 *     script could read), and the page's JavaScript heap (a CDP heap snapshot, searched);
 *   - the session after its service worker is stopped (CDP `ServiceWorker.stopAllWorkers`),
 *     for the libraries that have one;
 *   - the session after the browser is closed and started again with the same profile.
 * "Kept" means the next API request from a page succeeds without a new login.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, findOrInstallChromium } from '../../scripts/find-browser.mjs';
import { loginByRedirect } from './storm.mjs';

const API_OF = `(peer) => peer === 'broker' ? window.demo.api : window.peer.api`;
const WITH_WORKER = new Set(['broker', 'axa-oidc-client']);

/** @param {import('playwright-core').Page} tab @param {string} peer */
const requestSucceeds = (tab, peer) => tab.evaluate(({ peer, apiOf }) => (0, eval)(apiOf)(peer).get('/api/data').then(() => true, () => false), { peer, apiOf: API_OF });

/** @param {import('playwright-core').BrowserContext} context @param {string} url */
async function openReady(context, url) {
  const tab = context.pages()[0] ?? (await context.newPage());
  await tab.goto(url);
  await tab.waitForFunction(() => document.body.dataset.ready === 'true', undefined, { timeout: 30_000 });
  return tab;
}

/**
 * In the page: which storages hold one of `tokens` (IndexedDB read whole, every store).
 * @param {import('playwright-core').Page} tab @param {string[]} tokens
 */
function storagesHolding(tab, tokens) {
  return tab.evaluate(async (tokens) => {
    const holds = (/** @type {string} */ text) => tokens.some((token) => text.includes(token));
    const found = [];
    const all = (/** @type {Storage} */ store) => Object.keys(store).map((key) => `${key}=${store.getItem(key)}`).join('\n');
    if (holds(all(localStorage))) found.push('localStorage');
    if (holds(all(sessionStorage))) found.push('sessionStorage');
    if (holds(document.cookie)) found.push('cookie');
    for (const { name } of await indexedDB.databases()) {
      if (!name) continue;
      const db = await new Promise((resolve, reject) => Object.assign(indexedDB.open(name), { onsuccess: (/** @type {any} */ e) => resolve(e.target.result), onerror: reject }));
      const stores = [...db.objectStoreNames];
      const texts = await Promise.all(
        stores.map(
          (store) =>
            new Promise((resolve) => {
              const request = db.transaction(store).objectStore(store).getAll();
              request.onsuccess = () => resolve(JSON.stringify(request.result, (_key, value) => (value instanceof CryptoKey ? '[CryptoKey]' : value)));
              request.onerror = () => resolve('');
            }),
        ),
      );
      db.close();
      if (texts.some((text) => holds(/** @type {string} */ (text)))) found.push(`IndexedDB ${name}`);
    }
    return found;
  }, tokens);
}

/** Whether the page's JavaScript heap holds one of `tokens` (a CDP heap snapshot, searched). @param {import('playwright-core').Page} tab @param {string[]} tokens */
async function heapHolds(tab, tokens) {
  const cdp = await tab.context().newCDPSession(tab);
  const chunks = /** @type {string[]} */ ([]);
  cdp.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => void chunks.push(chunk));
  await cdp.send('HeapProfiler.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  await cdp.detach();
  const snapshot = chunks.join('');
  return tokens.some((token) => snapshot.includes(token));
}

/**
 * @param {Awaited<ReturnType<typeof import('./server.mjs').startPeerServers>>} servers
 * @param {string[]} peers
 */
export async function measureTraits(servers, peers) {
  servers.setAccessTtl(3600);
  const rows = [];
  for (const peer of peers) {
    const profile = mkdtempSync(join(tmpdir(), `bench-traits-${peer}-`));
    const launch = () => chromium.launchPersistentContext(profile, { executablePath: findOrInstallChromium(), args: CHROMIUM_ARGS, headless: true, ignoreHTTPSErrors: true });
    const url = `${servers.origin(/** @type {any} */ (peer))}/`;
    /** @type {Record<string, unknown>} */
    const row = { impl: peer };
    try {
      let context = await launch();
      try {
        const tab = await openReady(context, url);
        await loginByRedirect(tab, peer);
        if (!(await requestSucceeds(tab, peer))) throw new Error('no request succeeded after the login');
        const tokens = servers.refreshTokensOf(/** @type {any} */ (peer));
        row.refreshTokenIn = await storagesHolding(tab, tokens);
        row.refreshTokenInPageHeap = await heapHolds(tab, tokens);
        if (WITH_WORKER.has(peer)) {
          const cdp = await context.newCDPSession(tab);
          await cdp.send('ServiceWorker.enable');
          await cdp.send('ServiceWorker.stopAllWorkers');
          await cdp.detach();
          row.afterWorkerStopped = (await requestSucceeds(tab, peer)) ? 'kept' : 'lost';
        } else row.afterWorkerStopped = null;
      } finally {
        await context.close();
      }
      context = await launch();
      try {
        const tab = await openReady(context, url);
        row.afterBrowserRestart = (await requestSucceeds(tab, peer)) ? 'kept' : 'lost';
      } finally {
        await context.close();
      }
    } catch (error) {
      row.error = String(/** @type {Error} */ (error)?.message ?? error).split('\n')[0];
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
    console.error(`peers traits ${peer}: ${JSON.stringify(row)}`);
    rows.push(row);
  }
  return rows;
}
