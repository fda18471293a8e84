/**
 * Vault mode (/vault/): the session lives on the vault's origin (the demo server's second
 * port), in a hidden frame whose own service worker holds both tokens. What the app's
 * origin can reach holds neither: storages, caches, cookies, messages, responses, heap.
 */
import { OIDC_PORT, OIDC_VAULT_PORT, VAULT_PORT } from '../../playwright.config.js';
import { WAIT } from './bounds.js';
import { RECORD_EVERYTHING, expect, fireCalls, fireInAllTabsAtOnce, heapSnapshot, loginThroughProvider, readWorkerSession, test } from './fixtures.js';
import type { Page } from '@playwright/test';
import { everythingTheAppOriginHolds as everythingInPage, installAttackerTools, vaultAttacks } from '../vault-attacks.mjs';

const VAULT_DB = 'sw-token-broker:demo-vault';

async function openVaultTab(openTab: (path: string) => Promise<Page>): Promise<Page> {
  const page = await openTab('/vault/');
  expect(await page.evaluate(() => document.body.dataset.error ?? null)).toBeNull();
  return page;
}

/** Everything injected script in the app's origin could read, as one string. */
const everythingTheAppOriginHolds = (page: Page): Promise<string> => page.evaluate(everythingInPage);

test('three tabs share the vault\'s session: after expiry every request succeeds, with exactly one refresh and no reuse', async ({ openTab, server }) => {
  const tabs = [await openVaultTab(openTab), await openVaultTab(openTab), await openVaultTab(openTab)];
  await tabs[0].evaluate(() => window.demo.broker.login({ username: 'demo', password: 'demo' }));
  for (const tab of tabs) expect(await tab.evaluate(() => window.demo.broker.status())).toMatchObject({ loggedIn: true, mode: 'sealed' });
  await server.expireAccessTokens();
  await server.reset();
  const results = await fireInAllTabsAtOnce(tabs, 10);
  expect(results).toEqual(tabs.map(() => ({ ok: 10, errors: [] })));
  expect(await server.stats()).toMatchObject({ refreshes: 1, reuseDetected: 0 });
});

test('neither token exists anywhere in the app\'s origin: storages, IndexedDB, caches, cookies, messages, responses, heap', async ({ context, openTab, server }) => {
  await context.addInitScript(RECORD_EVERYTHING);
  const page = await openVaultTab(openTab);
  await page.evaluate(() => window.demo.broker.login({ username: 'demo', password: 'demo' }));
  await server.expireAccessTokens();
  expect(await page.evaluate(() => Promise.all([1, 2, 3].map(() => window.demo.api.get('/api/data').then((r) => r.status))))).toEqual([200, 200, 200]);
  await page.evaluate(() => window.demo.broker.status());
  const session = await readWorkerSession(context, VAULT_DB);
  expect(session.refreshToken).toMatch(/^rt_/);
  expect(session.accessToken.length).toBeGreaterThan(10);
  const held = await everythingTheAppOriginHolds(page);
  expect(held).toMatch(/user.{1,12}demo/); // the scan saw the API responses
  const heap = await heapSnapshot(page);
  for (const secret of [session.refreshToken, session.accessToken]) {
    expect(held.includes(secret)).toBe(false);
    expect(heap.includes(secret)).toBe(false);
  }
  // The worker that holds them is the vault's, on another origin.
  expect(context.serviceWorkers().map((worker) => new URL(worker.url()).origin)).toEqual([`http://127.0.0.1:${VAULT_PORT}`]);
});

test('the vault makes requests only to its API allowlist: a request elsewhere is refused, with no token sent', async ({ openTab }) => {
  const page = await openVaultTab(openTab);
  await page.evaluate(() => window.demo.broker.login({ username: 'demo', password: 'demo' }));
  const refused = await page.evaluate(() =>
    window.demo.api.get('http://127.0.0.1:1/steal').then(
      () => 'sent',
      (error) => error.code ?? error.message,
    ),
  );
  expect(refused).not.toBe('sent');
  const direct = await page.evaluate(() => (window as any).vaultDemo.vault.request({ method: 'GET', url: 'http://127.0.0.1:1/steal', headers: {}, body: null }).then(() => 'sent', (error: { code: string }) => error.code));
  expect(direct).toBe('not-supported');
});

test('a vault that does not answer is a typed error, never a fallback to the app\'s origin', async ({ page, baseURL }) => {
  await page.goto(`/vault/?vault=${encodeURIComponent(`${baseURL}/not-a-vault/`)}`);
  await page.waitForFunction(() => document.body.dataset.ready === 'error', undefined, { timeout: WAIT.vaultConnect });
  expect(await page.evaluate(() => document.body.dataset.error)).toBe('vault-unavailable');
  expect(await page.evaluate(() => navigator.serviceWorker.getRegistrations().then((all) => all.length))).toBe(0);
});

test('the vault answers only the app origins it was built for: another origin embedding it gets vault-unavailable', async ({ page }) => {
  // The OpenID demo server is another origin; its /vault/ page points at this server's vault, which serves only this app.
  await page.goto(`http://127.0.0.1:${OIDC_PORT}/vault/?vault=${encodeURIComponent(`http://127.0.0.1:${VAULT_PORT}/vault-frame/`)}`);
  await page.waitForFunction(() => document.body.dataset.ready === 'error', undefined, { timeout: WAIT.vaultConnect });
  expect(await page.evaluate(() => document.body.dataset.error)).toBe('vault-unavailable');
});

test.describe('the attacker suite against /vault/ (script injected into the app page, the vault connected and logged in)', () => {
  for (const attack of vaultAttacks) {
    test(attack.title, async ({ context, openTab, request, baseURL }) => {
      await context.addInitScript(RECORD_EVERYTHING);
      await request.post('/auth/test/echoes/reset');
      const page = await openVaultTab(openTab);
      await page.evaluate(() => window.demo.broker.login({ username: 'demo', password: 'demo' }));
      await page.evaluate(installAttackerTools);
      const vaultOrigin = `http://127.0.0.1:${VAULT_PORT}`;
      const result = await page.evaluate(attack.run, { appOrigin: baseURL!, vaultOrigin, vaultUrl: `${vaultOrigin}/vault-frame/` });
      const session = await readWorkerSession(context, VAULT_DB);
      const secrets: string[] = [session.refreshToken, session.accessToken];
      await attack.check(result, { engine: 'Chromium', secrets, tab: page, echoes: async () => (await request.get('/auth/test/echoes')).json() });
      // Whatever it did, the app's origin holds neither token afterwards, nor did the attack get one.
      const seen = JSON.stringify(result) + (await everythingTheAppOriginHolds(page)) + (await heapSnapshot(page));
      for (const secret of secrets) expect(seen.includes(secret)).toBe(false);
    });
  }
});

test.describe("login by redirect through the vault (oidc-provider; the callback is on the vault's origin)", () => {
  const APP = `http://127.0.0.1:${OIDC_PORT}`;
  const VAULT = `http://127.0.0.1:${OIDC_VAULT_PORT}`;
  test.use({ baseURL: APP });

  test("the vault's worker exchanges the code at its callback; the app page gets the result, and no code or token", async ({ context, openTab, server }) => {
    await context.addInitScript(RECORD_EVERYTHING);
    const page = await openVaultTab(openTab);
    const callbackUrl = await loginThroughProvider(page, '/vault/');
    // The provider sent the browser to the vault's callback, and the vault sent it back to the app page.
    expect(new URL(callbackUrl).origin).toBe(VAULT);
    const code = new URL(callbackUrl).searchParams.get('code');
    expect(code).toBeTruthy();
    expect(page.url()).toBe(`${APP}/vault/`);
    await expect(page.locator('#log')).toContainText('Logged in through the identity provider (in the vault)');
    expect(await fireCalls(page, 3)).toEqual({ ok: 3, errors: [] });
    expect(await server.stats()).toMatchObject({ logins: 1, apiCalls: 3, api401: 0 });

    const session = await readWorkerSession(context, VAULT_DB);
    expect(session.refreshToken.length).toBeGreaterThan(10);
    const held = await everythingTheAppOriginHolds(page);
    const heap = await heapSnapshot(page);
    for (const secret of [code!, session.refreshToken, session.accessToken]) {
      expect(held.includes(secret)).toBe(false);
      expect(heap.includes(secret)).toBe(false);
    }
  });

  test('two tabs share one refresh at the provider after expiry, no reuse; logout revokes at the provider', async ({ context, openTab, server }) => {
    await server.setAccessTtl(2);
    const first = await openVaultTab(openTab);
    await loginThroughProvider(first, '/vault/');
    const tabs = [first, await openVaultTab(openTab)];
    for (const tab of tabs) expect(await tab.evaluate(() => window.demo.broker.status())).toMatchObject({ loggedIn: true });
    await first.waitForTimeout(2300);
    // The refreshed token lives 30 s: on a loaded machine the storm can outlast a 2-second token.
    await server.setAccessTtl(30);
    expect(await fireInAllTabsAtOnce(tabs, 10)).toEqual(tabs.map(() => ({ ok: 10, errors: [] })));
    expect(await server.stats()).toMatchObject({ logins: 1, refreshes: 1, refreshesRejected: 0, reuseDetected: 0 });

    const { refreshToken } = await readWorkerSession(context, VAULT_DB);
    expect(await server.isRefreshTokenActive(refreshToken)).toBe(true);
    await first.locator('#logout').click();
    await expect(first.locator('#session-state')).toHaveText('Logged out');
    // The revocation runs in the background after logout settles: poll for it.
    await expect.poll(() => server.isRefreshTokenActive(refreshToken)).toBe(false);
  });

  test('a forged result or callback on the app page, or a vault page asked to forward elsewhere, logs nobody in and goes nowhere', async ({ page, openTab }) => {
    const tab = await openVaultTab(openTab);
    await tab.goto(`${APP}/vault/?again#sw-token-broker=ok&check=${'c'.repeat(36)}`);
    await tab.waitForFunction(() => document.body.dataset.ready === 'true');
    await expect(tab.locator('#log')).not.toContainText('Logged in through the identity provider');
    expect(new URL(tab.url()).hash).toBe('');
    // A forged callback passed through the app (the path WebKit takes): the vault's worker knows no such state.
    const warnings: string[] = [];
    tab.on('console', (message) => warnings.push(message.text()));
    await tab.goto(`${APP}/vault/?third#sw-token-broker-callback=${encodeURIComponent('?code=forged&state=forged-state')}`);
    await tab.waitForFunction(() => document.body.dataset.ready === 'true');
    await expect.poll(() => warnings.some((text) => text.includes('ignored a login result'))).toBe(true);
    expect(await tab.evaluate(() => window.demo.broker.status())).toMatchObject({ loggedIn: false });
    expect(new URL(tab.url()).hash).toBe('');
    // The vault page forwards a result only to the app origins it serves.
    await page.goto(`${VAULT}/vault-frame/?sw-token-broker-return=${encodeURIComponent('http://127.0.0.1:1/landed')}#sw-token-broker=ok`);
    await page.waitForLoadState('load');
    await page.waitForTimeout(300);
    expect(new URL(page.url()).origin).toBe(VAULT);
  });
});

test("a cross-site vault (localhost beside 127.0.0.1) without the frame's fallback: Chromium refuses its frame a service worker, and the app gets a typed error", async ({ page }) => {
  await page.goto(`/vault/?vault=${encodeURIComponent(`http://localhost:${VAULT_PORT}/vault-frame/?fallback=off`)}`);
  await page.waitForFunction(() => document.body.dataset.ready === 'error' || document.body.dataset.ready === 'true', undefined, { timeout: WAIT.message });
  expect(await page.evaluate(() => [document.body.dataset.ready, document.body.dataset.error])).toEqual(['error', 'sw-unavailable']);
  await expect(page.locator('#log')).toContainText('The user denied permission to use Service Worker');
  // Nothing falls back to the app's origin: nothing registered there.
  expect(await page.evaluate(() => navigator.serviceWorker.getRegistrations().then((all) => all.length))).toBe(0);
});

test("a cross-site vault with the frame's fallback (the demo's): the frame runs the broker itself, on the vault's origin; the app's origin registers nothing", async ({ page, server }) => {
  await page.goto(`/vault/?vault=${encodeURIComponent(`http://localhost:${VAULT_PORT}/vault-frame/`)}`);
  await page.waitForFunction(() => document.body.dataset.ready === 'error' || document.body.dataset.ready === 'true', undefined, { timeout: WAIT.message });
  expect(await page.evaluate(() => document.body.dataset.ready)).toBe('true');
  expect((await page.evaluate(() => window.demo.broker.status())).mode).toBe('page');
  // The login goes to the vault's own token endpoint, from the frame. (The demo's API allows CORS for the same-site vault only, so its calls from this one fail: the API's choice.)
  expect((await page.evaluate(() => window.demo.broker.login({ username: 'demo', password: 'demo' }))).loggedIn).toBe(true);
  expect(await server.stats()).toMatchObject({ logins: 1, reuseDetected: 0 });
  expect(await page.evaluate(() => navigator.serviceWorker.getRegistrations().then((all) => all.length))).toBe(0);
});
