// @ts-check
/**
 * The peer comparison: every library logs in by its own redirect flow at the same
 * oidc-provider, then N tabs fire 20 parallel requests each right after the access token
 * expired; the provider counts the refresh grants and reuse detections per library.
 */
import { armStorm, median, shuffled } from '../shared.mjs';
import { stormVariants } from './variants.mjs';

/** In-page: the axios instance of a peer page (the broker's is its fixture's `window.demo.api`). */
export const API_OF = `(peer) => peer === 'broker' ? window.demo.api : window.peer.api`;

/**
 * Logs in through the provider's own login and consent pages, from `tab` on its origin.
 * @param {import('playwright-core').Page} tab @param {string} peer
 */
export async function loginByRedirect(tab, peer) {
  const origin = new URL(tab.url()).origin;
  // A library that logs in with a form in the page (supabase auth-js: email and password).
  if (await tab.evaluate(() => /** @type {any} */ (window).peer?.loginInPage === true)) {
    await tab.evaluate(() => /** @type {any} */ (window).peer.login());
    return;
  }
  void tab.evaluate((peer) => (peer === 'broker' ? /** @type {any} */ (window).demo.broker.loginWithRedirect() : /** @type {any} */ (window).peer.login()), peer).catch(() => {});
  // To the provider's pages (msal-browser's provider is on an origin of its own), or straight
  // back logged in when the provider's session already has the login and consent (its
  // redirect back is never shown in the tab: there is no provider page to wait for).
  for (const deadline = Date.now() + 30_000; new URL(tab.url()).origin === origin; await tab.waitForTimeout(100)) {
    if (peer !== 'broker' && (await tab.evaluate(async () => document.body.dataset.ready === 'true' && (await /** @type {any} */ (window).peer.loggedIn())).catch(() => false))) return;
    if (Date.now() > deadline) throw new Error(`${peer}'s login went neither to the provider nor back logged in within 30 s`);
  }
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
 * One storm: log in, open the other tabs, wait for the token to expire, fire. The grants made
 * before the signal (tab start-up, renewal timers) are counted apart from the storm's own.
 * @param {import('playwright-core').Browser} browser
 * @param {Awaited<ReturnType<typeof import('./server.mjs').startPeerServers>>} servers
 * @param {import('./variants.mjs').StormVariant} variant @param {number} tabCount @param {{ refreshedTtlS: number, requests: number }} settings
 */
async function stormRun(browser, servers, { impl: peer, ttlS, query, reuseIntervalS, expiresEarlyS = 0 }, tabCount, { refreshedTtlS, requests }) {
  // msal-browser's provider has a self-signed certificate.
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const started = Date.now();
  /** Where the time goes, for a run that must fit its budget. @type {Record<string, number>} */
  const ms = {};
  const lap = (/** @type {string} */ step) => void (ms[step] = Date.now() - started);
  try {
    servers.setAccessTtl(ttlS);
    servers.setReuseInterval(reuseIntervalS ?? 10);
    const origin = servers.origin(/** @type {any} */ (peer));
    const first = await openTab(context, `${origin}/${query}`);
    await loginByRedirect(first, peer);
    const loggedInAt = Date.now();
    lap('login');
    // Counted from the login on: a library whose tabs renew on timers does it before the storm.
    servers.resetStats();
    const tabs = [first];
    for (let i = 1; i < tabCount; i++) tabs.push(await openTab(context, `${origin}/${query}`));
    // One extra tab sends the signal, so that the N measured tabs are all receivers.
    // (A page of JSON: it never says ready, so it is only loaded; waiting for it cost 30 s a run.)
    const signal = await context.newPage();
    await signal.goto(`${origin}/auth/config`);
    // The refreshed token lives long enough to outlast the storm on 2 cores.
    servers.setAccessTtl(refreshedTtlS);
    lap('tabs');
    // Past a margin by more than a second: msal-browser compares whole seconds, strictly.
    await first.waitForTimeout(Math.max(0, loggedInAt + (ttlS - expiresEarlyS) * 1000 + (expiresEarlyS ? 1300 : 300) - Date.now()));
    const armed = await armStorm(tabs, { channel: 'peers-go', count: requests, apiOf: API_OF, impl: peer });
    const before = servers.stats(/** @type {any} */ (peer));
    await signal.evaluate(() => new BroadcastChannel('peers-go').postMessage('go'));
    const failedPerTab = await Promise.all(armed);
    const counted = servers.stats(/** @type {any} */ (peer));
    const sessionLost = await first.evaluate(({ peer, apiOf }) => (0, eval)(apiOf)(peer).get('/api/data').then(() => false, () => true), { peer, apiOf: API_OF });
    lap('storm');
    return {
      ms,
      refreshes: counted.refreshes,
      refreshesBefore: before.refreshes,
      stormRefreshes: counted.refreshes - before.refreshes,
      reuseDetected: counted.reuseDetected,
      failed: failedPerTab.reduce((a, b) => a + b, 0),
      sessionLost,
    };
  } catch (error) {
    // A library that cannot finish a run is reported with why, never left out.
    return { error: String(/** @type {Error} */ (error)?.message ?? error).split('\n')[0] };
  } finally {
    await context.close();
  }
}

/**
 * Every setup at every tab count, the runs interleaved (each round visits the setups in a new order).
 * @param {import('playwright-core').Browser} browser
 * @param {Awaited<ReturnType<typeof import('./server.mjs').startPeerServers>>} servers
 * @param {{ tabs: number[], runs: number, requests: number, ttlS: number, refreshedTtlS: number, auth0MarginTtlS: number, only?: string[] }} settings
 */
export async function measurePeerStorms(browser, servers, settings) {
  const variants = stormVariants(settings);
  /** @type {Map<string, any[]>} */
  const runs = new Map();
  for (let run = 0; run < settings.runs; run++) {
    for (const variant of shuffled(variants)) {
      for (const tabs of settings.tabs) {
        // Past a library's margin (auth0 60 s, msal 300 s): its token counts as expired that early, so the refreshed one must live longer.
        const refreshedTtlS = Math.max(settings.refreshedTtlS, variant.ttlS + 60);
        const result = await stormRun(browser, servers, variant, tabs, { refreshedTtlS, requests: settings.requests });
        const key = JSON.stringify([variant.impl, variant.setting, variant.ttlS, tabs]);
        runs.set(key, [...(runs.get(key) ?? []), result]);
        console.error(`peers ${variant.impl}${variant.setting ? ` (${variant.setting})` : ''} x${tabs}: ${JSON.stringify(result)}`);
      }
    }
  }
  /** Each library's first setup (variants.mjs): the one the chart draws. */
  const primary = new Set(variants.filter((variant, i) => variants.findIndex((each) => each.impl === variant.impl) === i).map((variant) => `${variant.impl}|${variant.setting}`));
  return [...runs.entries()].map(([key, results]) => {
    const [impl, setting, ttlS, tabs] = JSON.parse(key);
    const ok = results.filter((r) => r.error === undefined);
    const pick = (/** @type {string} */ field) => ok.map((r) => r[field]);
    const spread = (/** @type {string} */ field) => (ok.length ? [Math.min(...pick(field)), Math.max(...pick(field))] : null);
    return {
      impl,
      setting,
      primary: primary.has(`${impl}|${setting}`),
      ttlS,
      tabs,
      requests: tabs * settings.requests,
      refreshes: ok.length ? median(pick('refreshes')) : null,
      refreshesRange: spread('refreshes'),
      refreshesBefore: ok.length ? median(pick('refreshesBefore')) : null,
      stormRefreshes: ok.length ? median(pick('stormRefreshes')) : null,
      stormRefreshesRange: spread('stormRefreshes'),
      reuseDetected: ok.length ? median(pick('reuseDetected')) : null,
      failed: ok.length ? median(pick('failed')) : null,
      failedRange: spread('failed'),
      sessionsLost: ok.filter((r) => r.sessionLost).length,
      errors: results.filter((r) => r.error !== undefined).map((r) => r.error),
      runs: results,
    };
  });
}
