/**
 * The Angular example (examples/angular-pwa), built with Angular's own builder from the packed
 * tarball: what a user writes is `provideTokenBroker` and `tokenBrokerInterceptor`. Two tabs,
 * one refresh for their requests after expiry, on HttpClient's XHR and fetch backends; Angular's
 * worker (ngsw) runs inside the broker's; and Angular's worker registered on its own, as
 * `ng add @angular/pwa` generates it, is named (`sw-foreign`), not left to bare 401s.
 */
import { ANGULAR_EXAMPLE_PORT } from '../../playwright.config.js';
import { countRegistrations, openTabs } from './example-tabs.js';
import { expect, fireInAllTabsAtOnce, test } from './fixtures.js';

const origin = `http://127.0.0.1:${ANGULAR_EXAMPLE_PORT}`;

test.describe('the Angular example (examples/angular-pwa), from the packed package', () => {
  test.beforeEach(async ({ request }) => void (await request.post(`${origin}/auth/test/reset`)));
  const stats = async (request: import('@playwright/test').APIRequestContext) => (await request.get(`${origin}/auth/stats`)).json();

  test('HttpClient (XHR): two tabs, one /me each per session, 10 parallel requests per tab after expiry with one refresh, logout reaches the other tab; ngsw runs inside the broker worker', async ({ context, request }) => {
    await countRegistrations(context);
    const tabs = await openTabs(context, origin, 2);
    for (const tab of tabs) await expect(tab.locator('#state')).toHaveText('Logged out');
    await tabs[0].locator('#login').click();
    for (const tab of tabs) await expect(tab.locator('#state')).toHaveText('Logged in as Demo User');
    for (const tab of tabs) await expect(tab.locator('#profile')).toHaveText('demo');
    await tabs[0].waitForTimeout(1_000);
    expect(await stats(request)).toMatchObject({ logins: 1, apiCalls: 2, api401: 0 });

    await request.post(`${origin}/auth/test/expire`);
    const results = await fireInAllTabsAtOnce(tabs, 10, 'example', '/me');
    for (const result of results) expect(result).toEqual({ ok: 10, errors: [] });
    await tabs[0].waitForTimeout(1_000);
    const after = await stats(request);
    expect(after).toMatchObject({ logins: 1, refreshes: 1, reuseDetected: 0 });
    // Every request carried the token, and the session signals did not make the app ask /me again.
    expect(after.apiCalls - after.api401).toBe(2 + 20);
    for (const tab of tabs) expect(await tab.evaluate(() => (window as any).__counts.clients)).toBe(1);

    await tabs[1].locator('#logout').click();
    for (const tab of tabs) await expect(tab.locator('#state')).toHaveText('Logged out');
    for (const tab of tabs) await expect(tab.locator('#profile')).toHaveText('');
    for (const tab of tabs) expect(await tab.evaluate(() => (window as any).example.signedOut)).toEqual(['logout']);

    // Angular's worker answers inside the broker's: the page is controlled by /sw.js, and ngsw serves its debug page.
    await tabs[1].reload();
    await tabs[1].waitForFunction(() => document.body.dataset.ready === 'true');
    expect(await tabs[1].evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toBe(`${origin}/sw.js`);
    expect(await tabs[1].evaluate(() => fetch('/ngsw/state').then((response) => response.text()))).toContain('NGSW Debug Info');
  });

  test('HttpClient with withFetch(): the token, one refresh after expiry, one retry', async ({ context, request }) => {
    const [tab] = await openTabs(context, origin, 1, '/?fetch');
    await tab.locator('#login').click();
    await expect(tab.locator('#profile')).toHaveText('demo');
    await request.post(`${origin}/auth/test/expire`);
    const [result] = await fireInAllTabsAtOnce([tab], 10, 'example', '/me');
    expect(result).toEqual({ ok: 10, errors: [] });
    expect(await stats(request)).toMatchObject({ logins: 1, refreshes: 1, reuseDetected: 0 });
  });

  test("Angular's worker registered on its own (what `ng add @angular/pwa` generates) takes the scope: the app learns it as sw-foreign naming ngsw-worker.js, and sends nothing", async ({ context, request }) => {
    // ngsw waits (installed) until the broker's worker has no event in flight: about 30 s here, as users saw.
    test.setTimeout(150_000);
    const [tab] = await openTabs(context, origin, 1, '/?ngsw-alone');
    const errors: string[] = [];
    tab.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    await tab.locator('#login').click();
    // ngsw registers 3 s after start (registerWithDelay), installs, waits, and replaces the broker's worker;
    // until then calls are answered (the broker's worker is still active), after it every one is sw-foreign.
    await expect
      .poll(() => tab.evaluate(() => (window as any).example.api.get('/me').then(() => 'answered', (error: { code?: string; details?: { url?: string } }) => `${error.code} ${error.details?.url}`)), { timeout: 100_000, intervals: [2_000] })
      .toBe(`sw-foreign ${origin}/ngsw-worker.js`);
    await expect(tab.locator('#state')).toHaveText('Logged out');
    const calls = (await stats(request)).apiCalls;
    expect(await tab.evaluate(() => (window as any).example.api.get('/me').then(() => 'answered', (error: { code?: string }) => error.code))).toBe('sw-foreign');
    expect((await stats(request)).apiCalls).toBe(calls);
    expect(errors.some((text) => text.includes('ngsw-worker.js') && text.includes('sw.js'))).toBe(true);

    // A reload: the broker's worker registers again but waits behind ngsw, which controls the page.
    // The app starts with the typed error in seconds, not after the message timeout (25 s).
    const reloaded = Date.now();
    await tab.reload();
    await expect(tab.locator('#state')).toHaveText(/^The token broker could not start: .*ngsw-worker\.js/, { timeout: 20_000 });
    expect(Date.now() - reloaded).toBeLessThan(20_000);
  });
});
