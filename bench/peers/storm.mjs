// @ts-check
/**
 * The peer comparison: every library logs in by its own redirect flow at the same
 * oidc-provider, then N tabs fire 20 parallel requests each right after the access token
 * expired; the provider counts the refresh grants and reuse detections per library.
 */
import { armStorm, median, shuffled } from '../shared.mjs';
import { PEERS } from './server.mjs';

/** In-page: the axios instance of a peer page (the broker's is its fixture's `window.demo.api`). */
const API_OF = `(peer) => peer === 'broker' ? window.demo.api : window.peer.api`;

/**
 * Logs in through the provider's own login and consent pages, from `tab` on its origin.
 * @param {import('playwright-core').Page} tab @param {string} peer @param {string} issuerOrigin
 */
export async function loginByRedirect(tab, peer, issuerOrigin) {
  const origin = new URL(tab.url()).origin;
  void tab.evaluate((peer) => (peer === 'broker' ? /** @type {any} */ (window).demo.broker.loginWithRedirect() : /** @type {any} */ (window).peer.login()), peer).catch(() => {});
  await tab.waitForURL((url) => url.origin === issuerOrigin, { timeout: 30_000 });
  // The provider's pages: its login form, then consent (each skipped when its session already has them).
  const login = tab.locator('input[name=login]');
  const consent = tab.locator('button:has-text("Continue")');
  const back = () => tab.waitForURL((url) => url.origin === origin, { timeout: 30_000 }).then(() => 'back');
  const next = () => Promise.race([login.waitFor({ timeout: 30_000 }).then(() => 'login'), consent.waitFor({ timeout: 30_000 }).then(() => 'consent'), back()]);
  for (let step = await next(); step !== 'back'; step = await next()) {
    if (step === 'login') {
      await login.fill('alice');
      await tab.fill('input[name=password]', 'anything');
      await tab.locator('button[type=submit]').click();
    } else await consent.click();
    await tab.waitForLoadState();
  }
  await tab.waitForFunction(() => document.body.dataset.ready === 'true', undefined, { timeout: 30_000 });
}

/** @param {import('playwright-core').BrowserContext} context @param {string} url */
async function openTab(context, url) {
  const tab = await context.newPage();
  await tab.goto(url);
  await tab.waitForFunction(() => document.body.dataset.ready === 'true', undefined, { timeout: 30_000 });
  return tab;
}

/**
 * One storm: log in, open the other tabs, wait for the token to expire, fire.
 * @param {import('playwright-core').Browser} browser
 * @param {Awaited<ReturnType<typeof import('./server.mjs').startPeerServers>>} servers
 * @param {string} peer @param {number} tabCount @param {{ ttlS: number, refreshedTtlS: number, requests: number }} settings
 */
async function stormRun(browser, servers, peer, tabCount, { ttlS, refreshedTtlS, requests }) {
  const context = await browser.newContext();
  try {
    servers.setAccessTtl(ttlS);
    const origin = servers.origin(/** @type {any} */ (peer));
    const first = await openTab(context, `${origin}/`);
    await loginByRedirect(first, peer, new URL(servers.issuer).origin);
    const loggedInAt = Date.now();
    // Counted from the login on: a library whose tabs renew on timers (oidc-client-ts) does it before the storm.
    servers.resetStats();
    const tabs = [first];
    for (let i = 1; i < tabCount; i++) tabs.push(await openTab(context, `${origin}/`));
    // One extra tab sends the signal, so that the N measured tabs are all receivers.
    const signal = await openTab(context, `${origin}/auth/config`).catch(() => undefined);
    // The refreshed token lives long enough to outlast the storm on 2 cores.
    servers.setAccessTtl(refreshedTtlS);
    await first.waitForTimeout(Math.max(0, loggedInAt + ttlS * 1000 + 300 - Date.now()));
    const armed = await armStorm(tabs, { channel: 'peers-go', count: requests, apiOf: API_OF, impl: peer });
    await (signal ?? first).evaluate(() => new BroadcastChannel('peers-go').postMessage('go'));
    const failedPerTab = await Promise.all(armed);
    const counted = servers.stats(/** @type {any} */ (peer));
    const sessionLost = await first.evaluate(({ peer, apiOf }) => (0, eval)(apiOf)(peer).get('/api/data').then(() => false, () => true), { peer, apiOf: API_OF });
    return { refreshes: counted.refreshes, reuseDetected: counted.reuseDetected, failed: failedPerTab.reduce((a, b) => a + b, 0), sessionLost };
  } catch (error) {
    // A library that cannot finish a run is reported with why, never left out.
    return { error: String(/** @type {Error} */ (error)?.message ?? error).split('\n')[0] };
  } finally {
    await context.close();
  }
}

/**
 * Every library at every tab count, the runs interleaved (each round visits the libraries in a new order).
 * @param {import('playwright-core').Browser} browser
 * @param {Awaited<ReturnType<typeof import('./server.mjs').startPeerServers>>} servers
 * @param {{ tabs: number[], runs: number, requests: number, ttlS: number, refreshedTtlS: number, auth0MarginTtlS: number, only?: string[] }} settings
 */
export async function measurePeerStorms(browser, servers, settings) {
  /** @type {{ peer: string, ttlS: number }[]} */
  const variants = [...PEERS.map((peer) => ({ peer, ttlS: settings.ttlS })), { peer: 'auth0-spa-js', ttlS: settings.auth0MarginTtlS }].filter(({ peer }) => !settings.only || settings.only.includes(peer));
  /** @type {Map<string, any[]>} */
  const runs = new Map();
  for (let run = 0; run < settings.runs; run++) {
    for (const { peer, ttlS } of shuffled(variants)) {
      for (const tabs of settings.tabs) {
        // Past auth0's 60 s margin: its token counts as expired 60 s early, so the refreshed one must live longer.
        const refreshedTtlS = Math.max(settings.refreshedTtlS, ttlS + 60);
        const result = await stormRun(browser, servers, peer, tabs, { ttlS, refreshedTtlS, requests: settings.requests });
        const key = `${peer}|${ttlS}|${tabs}`;
        runs.set(key, [...(runs.get(key) ?? []), result]);
        console.error(`peers ${peer} ttl ${ttlS}s x${tabs}: ${JSON.stringify(result)}`);
      }
    }
  }
  return [...runs.entries()].map(([key, results]) => {
    const [impl, ttlS, tabs] = key.split('|');
    const ok = results.filter((r) => r.error === undefined);
    const pick = (/** @type {string} */ field) => ok.map((r) => r[field]);
    const spread = (/** @type {string} */ field) => (ok.length ? [Math.min(...pick(field)), Math.max(...pick(field))] : null);
    return {
      impl,
      ttlS: Number(ttlS),
      tabs: Number(tabs),
      requests: Number(tabs) * settings.requests,
      refreshes: ok.length ? median(pick('refreshes')) : null,
      refreshesRange: spread('refreshes'),
      reuseDetected: ok.length ? median(pick('reuseDetected')) : null,
      failed: ok.length ? median(pick('failed')) : null,
      failedRange: spread('failed'),
      sessionsLost: ok.filter((r) => r.sessionLost).length,
      errors: results.filter((r) => r.error !== undefined).map((r) => r.error),
      runs: results,
    };
  });
}
