/**
 * The broker against OAuth servers this project did not write (@node-oauth/oauth2-server 5
 * and @jmondi/oauth2-server 4 on Express, rotation on every refresh, reuse detection and
 * revocation), so our own mock server is never the only witness. Each server serves the
 * fixture page and worker (tests/e2e/idp/) on its own origin.
 */
import type { APIRequestContext, Page } from '@playwright/test';
import { JMONDI_PORT, NODE_OAUTH_PORT } from '../../playwright.config.js';
import { expect, fireCalls, fireInAllTabsAtOnce, login, readWorkerSession, test } from './fixtures.js';
import { WAIT } from './bounds.js';

interface IdpStats {
  logins: number;
  refreshes: number;
  refreshesRejected: number;
  reuseDetected: number;
  revocations: number;
}

/** The switches and counters of one third-party server. */
function control(request: APIRequestContext, origin: string) {
  const post = async (path: string, data?: unknown) => {
    const response = await request.post(`${origin}${path}`, { data });
    expect(response.ok(), `${path} answered ${response.status()}`).toBe(true);
    return response.json();
  };
  return {
    stats: async (): Promise<IdpStats> => (await request.get(`${origin}/auth/stats`)).json(),
    reset: () => post('/auth/stats/reset'),
    configure: (config: { accessTtlSeconds?: number; refreshDelayMs?: number; fault?: 'none' | '500' }) => post('/auth/test/config', config),
    expireAccessTokens: () => post('/auth/test/expire-access-tokens'),
    revokeAll: () => post('/auth/test/revoke-all'),
    isRefreshTokenActive: async (refreshToken: string): Promise<boolean> => (await post('/auth/test/refresh-token-active', { refreshToken })).active,
  };
}

const servers = [
  { name: '@node-oauth/oauth2-server', origin: `http://127.0.0.1:${NODE_OAUTH_PORT}`, revokedDescription: 'Invalid grant: refresh token is invalid' },
  { name: '@jmondi/oauth2-server', origin: `http://127.0.0.1:${JMONDI_PORT}`, revokedDescription: 'Token has been revoked' },
];

for (const { name, origin, revokedDescription } of servers) {
  test.describe(name, () => {
    let idp: ReturnType<typeof control>;
    test.beforeEach(async ({ request }) => {
      idp = control(request, origin);
      await idp.configure({ accessTtlSeconds: 30, refreshDelayMs: 0, fault: 'none' });
      await idp.reset();
    });

    const openTabs = async (openTab: (path?: string) => Promise<Page>, count: number) => {
      const tabs: Page[] = [];
      for (let i = 0; i < count; i++) tabs.push(await openTab(`${origin}/`));
      return tabs;
    };

    test('login, and tabs sharing one session: one login, every tab calls the API', async ({ openTab }) => {
      const tabs = await openTabs(openTab, 3);
      await login(tabs[0]);
      for (const tab of tabs) {
        expect(await tab.evaluate(() => window.demo.broker.status())).toMatchObject({ loggedIn: true, generation: 1 });
        expect(await fireCalls(tab, 2)).toEqual({ ok: 2, errors: [] });
      }
      expect(await idp.stats()).toMatchObject({ logins: 1, refreshes: 0, reuseDetected: 0 });
    });

    test('an expiry storm in 3 tabs: every request succeeds, one refresh grant, no reuse', async ({ openTab }) => {
      await idp.configure({ accessTtlSeconds: 4 });
      const tabs = await openTabs(openTab, 3);
      await login(tabs[0]);
      await tabs[0].waitForTimeout(4200);
      const results = await fireInAllTabsAtOnce(tabs, 10);
      for (const result of results) expect(result).toEqual({ ok: 10, errors: [] });
      expect(await idp.stats()).toMatchObject({ logins: 1, refreshes: 1, refreshesRejected: 0, reuseDetected: 0 });
    });

    test('a 401 storm in 3 tabs (tokens expired at the server): one refresh grant, every request retried once and succeeds', async ({ openTab }) => {
      const tabs = await openTabs(openTab, 3);
      await login(tabs[0]);
      await idp.expireAccessTokens();
      const results = await fireInAllTabsAtOnce(tabs, 10);
      for (const result of results) expect(result).toEqual({ ok: 10, errors: [] });
      expect(await idp.stats()).toMatchObject({ refreshes: 1, refreshesRejected: 0, reuseDetected: 0 });
    });

    test('a rotation slower than the broker\'s timeout: callers get a retryable error, the rotated token is kept, the session goes on', async ({ openTab }) => {
      const page = await openTab(`${origin}/`);
      await login(page);
      // The fixture worker's requestTimeoutMs is 1500; the server rotates after 3000.
      await idp.configure({ refreshDelayMs: 3000 });
      await idp.expireAccessTokens();
      const early = await fireCalls(page, 5);
      expect(early.ok).toBe(0);
      expect(early.errors.every((e) => e.startsWith('refresh-unavailable: The token endpoint did not answer within 1500 ms'))).toBe(true);
      await expect.poll(async () => (await page.evaluate(() => window.demo.broker.status())).generation, { timeout: WAIT.tokenRequest }).toBe(2);
      await idp.configure({ refreshDelayMs: 0 });
      expect(await fireCalls(page, 5)).toEqual({ ok: 5, errors: [] });
      expect(await idp.stats()).toMatchObject({ refreshes: 1, refreshesRejected: 0, reuseDetected: 0 });
    });

    test('a 500 outage: at most 2 grants for 15 requests, the session kept, recovery after the cool-down', async ({ openTab }) => {
      const page = await openTab(`${origin}/`);
      await login(page);
      await idp.configure({ fault: '500' });
      await idp.expireAccessTokens();
      await idp.reset();
      const errors: string[] = [];
      for (let batch = 0; batch < 3; batch++) errors.push(...(await fireCalls(page, 5)).errors);
      expect(errors).toHaveLength(15);
      expect(errors.every((e) => e.startsWith('refresh-unavailable: The token endpoint answered 500 server_error: Injected outage'))).toBe(true);
      const grants = (await idp.stats()).refreshes;
      expect(grants).toBeGreaterThanOrEqual(1);
      expect(grants).toBeLessThanOrEqual(2);
      const status = await page.evaluate(() => window.demo.broker.status());
      expect(status).toMatchObject({ loggedIn: true, generation: 1, refreshRetryAt: expect.any(Number) });
      await idp.configure({ fault: 'none' });
      await page.waitForTimeout(Math.max(0, (status.refreshRetryAt ?? 0) - Date.now()) + 100);
      expect(await fireCalls(page, 5)).toEqual({ ok: 5, errors: [] });
      expect(await idp.stats()).toMatchObject({ logins: 0, refreshes: grants + 1, reuseDetected: 0 });
    });

    test('a rejected grant ends the session in every tab, with the server\'s description', async ({ openTab }) => {
      const tabs = await openTabs(openTab, 3);
      for (const tab of tabs) {
        await tab.evaluate(() => {
          (window as any).ended = [];
          window.demo.broker.on('session-ended', (event) => (window as any).ended.push({ reason: event.reason, details: event.details }));
        });
      }
      await login(tabs[0]);
      // Every tab holds the token, so every request of the storm gets a 401 and reports it.
      for (const tab of tabs) expect(await fireCalls(tab, 1)).toEqual({ ok: 1, errors: [] });
      await idp.revokeAll();
      await idp.expireAccessTokens();
      const results = await fireInAllTabsAtOnce(tabs, 5);
      for (const result of results) {
        expect(result.ok).toBe(0);
        expect(result.errors.every((e) => e.startsWith('session-ended') && e.includes(revokedDescription))).toBe(true);
      }
      for (const tab of tabs) {
        await expect.poll(() => tab.evaluate(() => (window as any).ended)).toEqual([
          { reason: expect.stringContaining(revokedDescription), details: expect.objectContaining({ status: 400, errorDescription: revokedDescription }) },
        ]);
      }
      expect(await tabs[1].evaluate(() => window.demo.broker.status())).toMatchObject({ loggedIn: false });
      expect(await idp.stats()).toMatchObject({ refreshes: 1, refreshesRejected: 1 });
    });

    test('logout in one tab reaches every tab and revokes the refresh token at the server', async ({ context, openTab }) => {
      const tabs = await openTabs(openTab, 3);
      await login(tabs[0]);
      const { refreshToken } = await readWorkerSession(context, 'sw-token-broker:idp');
      expect(await idp.isRefreshTokenActive(refreshToken)).toBe(true);
      await tabs[1].evaluate(() => window.demo.broker.logout());
      for (const tab of tabs) expect(await tab.evaluate(() => window.demo.broker.status())).toMatchObject({ loggedIn: false });
      // The revocation runs in the background after logout settles (logout waits for no server): poll for it.
      await expect.poll(async () => (await idp.stats()).revocations).toBe(1);
      expect(await idp.isRefreshTokenActive(refreshToken)).toBe(false);
      expect(await readWorkerSession(context, 'sw-token-broker:idp')).toBeUndefined();
    });
  });
}
