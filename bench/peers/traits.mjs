// @ts-check
/**
 * What tells the libraries apart beside the storm, measured the same way for each, in its
 * first setup (variants.mjs), in a browser profile of its own:
 *   - where page script can read a refresh token the library was handed: localStorage,
 *     sessionStorage, document.cookie, any IndexedDB database of the origin (what injected
 *     script could read), and the page's JavaScript heap (a CDP heap snapshot, searched);
 *   - the session after its service worker is stopped (CDP `ServiceWorker.stopAllWorkers`),
 *     for the libraries that have one;
 *   - the session after the browser is closed and started again with the same profile;
 *   - after the library's logout (RP-initiated, as its docs log out): whether the last refresh
 *     token it was handed still gets tokens once the library's own logout is done (before the
 *     provider's session ends), and whether the provider's session ended (a prompt=none
 *     authorization request gets login_required, not a code).
 * "Kept" means the next API request from a page succeeds without a new login.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, findOrInstallChromium } from '../../scripts/find-browser.mjs';
import { API_OF, loginByRedirect } from './storm.mjs';

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
 * Logs out as the library does, confirming at the provider (oidc-provider asks before it ends a
 * session), until the tab is back on the app or on the provider's "signed out" page.
 * `beforeProvider` runs once the library's own logout is done and before the provider's
 * session ends (oidc-provider revokes the grants of a session it ends, which would hide
 * whether the library revoked its refresh token itself).
 * @template T
 * @param {import('playwright-core').Page} tab @param {string} peer @param {() => Promise<T>} beforeProvider
 * @returns {Promise<T>}
 */
async function logoutByRedirect(tab, peer, beforeProvider) {
  const origin = new URL(tab.url()).origin;
  if (await tab.evaluate(() => /** @type {any} */ (window).peer?.loginInPage === true)) {
    await tab.evaluate(() => /** @type {any} */ (window).peer.logout());
    return beforeProvider();
  }
  void tab.evaluate((peer) => (peer === 'broker' ? /** @type {any} */ (window).demo.broker.logout({ endSession: true }) : /** @type {any} */ (window).peer.logout()), peer).catch(() => {});
  const confirm = tab.locator('button[name=logout][value=yes]');
  await confirm.waitFor({ timeout: 30_000 });
  const result = await beforeProvider();
  await confirm.click();
  await tab.waitForURL((url) => url.origin === origin || /\/logout\/success$/.test(url.pathname), { timeout: 30_000 });
  return result;
}

/**
 * Whether the provider still has a session for `peer`'s client: a prompt=none authorization
 * request answered with a code (kept) or with login_required (ended); the app's page is not
 * loaded, so nothing takes the code.
 * @param {import('playwright-core').BrowserContext} context @param {string} authorizeUrl @param {string} origin @param {string} peer
 */
async function providerSession(context, authorizeUrl, origin, peer) {
  const probe = await context.newPage();
  try {
    await probe.route(`${origin}/**`, (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'probe' }));
    const query = new URLSearchParams({ client_id: peer, response_type: 'code', scope: 'openid', prompt: 'none', redirect_uri: `${origin}/`, code_challenge: 'A'.repeat(43), code_challenge_method: 'S256' });
    await probe.goto(`${authorizeUrl}?${query}`);
    await probe.waitForURL((url) => url.origin === origin, { timeout: 30_000 });
    const answer = new URL(probe.url()).searchParams;
    if (answer.has('code')) return 'kept';
    if (answer.get('error') === 'login_required') return 'ended';
    throw new Error(`the provider answered a prompt=none request with ${answer}`);
  } finally {
    await probe.close();
  }
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
        // A logout that fails is said in its own field; the rows above stand.
        try {
          // Logged in again if the restart lost the session, so that there is a session to end.
          if (row.afterBrowserRestart === 'lost') await loginByRedirect(tab, peer);
          const accepted = await logoutByRedirect(tab, peer, () => servers.refreshTokenAccepted(/** @type {any} */ (peer)));
          row.refreshTokenAfterLogout = accepted ? 'accepted' : 'refused';
          const authorizeUrl = servers.authorizeUrlOf(/** @type {any} */ (peer));
          row.providerSessionAfterLogout = authorizeUrl === null ? null : await providerSession(context, authorizeUrl, new URL(url).origin, peer);
        } catch (error) {
          row.logoutError = String(/** @type {Error} */ (error)?.message ?? error).split('\n')[0];
        }
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
