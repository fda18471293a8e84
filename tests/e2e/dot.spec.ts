/**
 * The broker against Django OAuth Toolkit 1.7 (Debian's, on Django 3.2), an OpenID provider
 * this project did not write: login by redirect with PKCE through its own login and consent
 * pages, rotation on every refresh, RFC 7009 revocation, and its resource views, which answer
 * 403 (not 401) to an expired token. The provider serves the fixture page and worker
 * (tests/e2e/idp/oidc-page.ts, oidc-sw.ts) configured as a DOT user would.
 */
import type { APIRequestContext, Page } from '@playwright/test';
import { DOT_PORT } from '../../playwright.config.js';
import { expect, fireCalls, fireInAllTabsAtOnce, stopWorkers, test } from './fixtures.js';
import { providerScenarios, workerSession } from './provider-scenarios.js';

const origin = `http://127.0.0.1:${DOT_PORT}`;

interface DotStats {
  logins: number;
  refreshes: number;
  refreshesRejected: number;
  reuseDetected: number;
  revocations: number;
  apiCalls: number;
  api403: number;
}

function control(request: APIRequestContext) {
  const post = async (path: string, data?: unknown) => {
    const response = await request.post(`${origin}${path}`, { data });
    expect(response.ok(), `${path} answered ${response.status()}`).toBe(true);
    return response.json();
  };
  return {
    stats: async (): Promise<DotStats> => (await request.get(`${origin}/auth/stats`)).json(),
    reset: () => post('/auth/stats/reset'),
    configure: (config: { accessTtlSeconds?: number; graceSeconds?: number; refreshDelayMs?: number; fault?: 'none' | '500' }) => post('/auth/test/config', config),
    expireAccessTokens: () => post('/auth/test/expire-access-tokens'),
    isRefreshTokenActive: async (refreshToken: string): Promise<boolean> => (await post('/auth/test/refresh-token-active', { refreshToken })).active,
  };
}

/** Logs in by redirect through DOT's login page (as demo/demo) and its consent page, back to `scope`. */
async function loginThroughDot(page: Page, scope = '/'): Promise<void> {
  await page.evaluate(() => void window.demo.broker.loginWithRedirect());
  await page.waitForURL((url) => url.pathname.startsWith('/accounts/login/') || url.pathname.startsWith('/o/authorize/'));
  if (new URL(page.url()).pathname.startsWith('/accounts/login/')) {
    await page.fill('input[name=username]', 'demo');
    await page.fill('input[name=password]', 'demo');
    await page.click('button[type=submit]');
    await page.waitForURL((url) => url.pathname.startsWith('/o/authorize/'));
  }
  await page.click('input[name=allow]');
  await page.waitForURL((url) => url.origin === origin && url.pathname === scope);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  expect(await page.evaluate(() => window.redirectResult)).toBe(true);
}

const events = (page: Page) => page.evaluate(() => [...window.brokerEvents]);

test.describe('Django OAuth Toolkit 1.7', () => {
  let dot: ReturnType<typeof control>;
  test.beforeEach(async ({ request }) => {
    dot = control(request);
    await dot.configure({ accessTtlSeconds: 30, graceSeconds: 0, refreshDelayMs: 0, fault: 'none' });
    await dot.reset();
  });

  // The storm (through DOT's 403s), the stopped worker, sealed mode: tests/e2e/provider-scenarios.ts.
  providerScenarios(() => ({
    origin,
    login: loginThroughDot,
    stats: () => dot.stats(),
    reset: () => dot.reset(),
    expireAccessTokens: () => dot.expireAccessTokens(),
    isRefreshTokenLive: (refreshToken) => dot.isRefreshTokenActive(refreshToken),
    // DOT's resource views refuse an expired token with 403 (not 401): the broker refreshed through them.
    afterStorm: (stats) => expect(stats.api403).toBeGreaterThanOrEqual(1),
  }));

  test('logout revokes the refresh token at DOT (its revocation endpoint, configured because discovery names none): a replay is refused, and every tab is told revoked', async ({ openTab, context, request }) => {
    const page = await openTab(`${origin}/`);
    await loginThroughDot(page);
    const other = await openTab(`${origin}/`);
    const { refreshToken } = (await workerSession(context))!;
    await page.evaluate(() => window.demo.broker.logout());
    await expect.poll(() => events(other)).toContain('revoked: The refresh token of the logged-out session was revoked at the server');
    expect(await dot.isRefreshTokenActive(refreshToken)).toBe(false);
    const replay = await request.post(`${origin}/o/token/`, { form: { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'spa' } });
    expect(replay.status()).toBe(400);
    expect((await replay.json()).error).toBe('invalid_grant');
  });

  test('logout({ endSession: true }) against DOT 1.7 (no end-session endpoint): logged out here and in every tab, and the typed answer says the provider session is still open', async ({ openTab }) => {
    const page = await openTab(`${origin}/`);
    await loginThroughDot(page);
    const other = await openTab(`${origin}/`);
    const answer = await page.evaluate(() => window.demo.broker.logout({ endSession: true }).then(() => null, (error) => ({ code: error.code, error: error.details?.error })));
    expect(answer).toEqual({ code: 'not-supported', error: 'end_session_unsupported' });
    expect(page.url()).toBe(`${origin}/`);
    for (const tab of [page, other]) expect(await tab.evaluate(() => window.demo.broker.status().then((s) => s.loggedIn))).toBe(false);
  });

  test('without a revocation endpoint (DOT 1.7 discovery names none), logout says so in every tab, and the token is indeed still live', async ({ openTab, context }) => {
    const page = await openTab(`${origin}/no-revocation/`);
    const warnings: string[] = [];
    page.on('console', (message) => message.type() === 'warning' && warnings.push(message.text()));
    await loginThroughDot(page, '/no-revocation/');
    const { refreshToken } = (await workerSession(context, '/no-revocation/'))!;
    await page.evaluate(() => window.demo.broker.logout());
    await expect
      .poll(() => events(page))
      .toContain(
        'revocation-failed: The refresh token of the logged-out session was not revoked: No revocation endpoint configured or discovered: the refresh token stays valid at the provider until it expires. Set revocationEndpoint in oidcEndpoint',
      );
    expect(await page.evaluate(() => window.demo.broker.status())).toMatchObject({ loggedIn: false });
    expect(await dot.isRefreshTokenActive(refreshToken)).toBe(true);
    // In development (a loopback page) the page's console says it too, with the fix.
    await expect.poll(() => warnings.some((text) => text.startsWith('sw-token-broker: The refresh token of the logged-out session was not revoked') && text.includes('Set revocationEndpoint'))).toBe(true);
  });

  for (const { graceSeconds, outcome } of [
    { graceSeconds: 0, outcome: 'session-ended' },
    { graceSeconds: 30, outcome: 'ok' },
  ]) {
    test(`a refresh answer lost after DOT rotated (the worker stopped mid-refresh), grace period ${graceSeconds} s: the user sees ${outcome}`, async ({ openTab }) => {
      const page = await openTab(`${origin}/`);
      await loginThroughDot(page);
      await dot.configure({ graceSeconds, refreshDelayMs: 1500 });
      await dot.expireAccessTokens();
      await dot.reset();
      const call = page.evaluate(() => window.demo.api.get('/api/data').then(() => 'ok', (error) => error.code ?? `HTTP ${error.response?.status}`));
      // Stopped while DOT holds the refresh: DOT rotates anyway, and the answer reaches no one.
      await expect.poll(async () => (await dot.stats()).refreshes, { timeout: 10_000 }).toBe(1);
      await stopWorkers(page);
      await dot.configure({ refreshDelayMs: 0 });
      expect(await call).toBe(outcome);
      // The restarted worker presented the token DOT had already rotated: only the grace period decides.
      expect(await dot.stats()).toMatchObject({ refreshes: 2, reuseDetected: 1, refreshesRejected: graceSeconds === 0 ? 1 : 0 });
    });
  }

  test('a refused refresh grant in 2 tabs with requests in flight: every request gets the same session-ended, none goes out without a token', async ({ openTab, request }) => {
    const first = await openTab(`${origin}/`);
    await loginThroughDot(first);
    const second = await openTab(`${origin}/`);
    for (const tab of [first, second]) expect(await fireCalls(tab, 1)).toEqual({ ok: 1, errors: [] });
    expect((await request.post(`${origin}/auth/test/revoke-all`)).ok()).toBe(true);
    await dot.reset();
    const results = await fireInAllTabsAtOnce([first, second], 5);
    for (const { ok, errors } of results) {
      expect(ok).toBe(0);
      expect(new Set(errors.map((error) => error.split(':')[0]))).toEqual(new Set(['session-ended']));
    }
    // A request made after it, in either tab: the same error, still not sent.
    expect((await fireCalls(second, 2)).errors.every((error) => error.startsWith('session-ended'))).toBe(true);
    expect(await dot.stats()).toMatchObject({ refreshes: 1, refreshesRejected: 1, apiWithoutToken: 0 });
  });

  for (const { scope, message } of [
    {
      scope: '/password-grant/',
      message:
        'The token endpoint refused the client, not the credentials (400 unauthorized_client): check the client id and the grant types the provider allows it',
    },
    {
      scope: '/unknown-client/',
      message: 'The token endpoint refused the client, not the credentials (401 invalid_client): check the client id and the grant types the provider allows it',
    },
    {
      scope: '/no-slash-token/',
      message: `The token endpoint ${origin}/o/token answered with a redirect, which the broker does not follow: configure the final URL (for example with a trailing slash)`,
    },
  ]) {
    test(`a login at ${scope.replace(/\//g, '')} (a configuration mistake) is misconfigured with its cause, not a wrong password`, async ({ openTab }) => {
      const page = await openTab(`${origin}${scope}`);
      const error = await page.evaluate(() =>
        window.demo.broker.login({ username: 'demo', password: 'demo' }).then(
          () => null,
          (e: { code?: string; message?: string }) => ({ code: e.code, message: e.message }),
        ),
      );
      expect(error).toEqual({ code: 'misconfigured', message });
    });
  }

  test("discovery at the well-known URL without DOT's trailing slash: misconfigured, naming the URL and the redirect", async ({ openTab }) => {
    const page = await openTab(`${origin}/no-slash-discovery/`);
    const error = await page.evaluate(() => window.demo.broker.loginWithRedirect().then(() => null, (e: { code?: string; message?: string }) => ({ code: e.code, message: e.message })));
    expect(error).toEqual({
      code: 'misconfigured',
      // A browser hides where a manual redirect points; the message names the URL and the usual fix.
      message: `The OpenID discovery URL ${origin}/o/.well-known/openid-configuration answered with a redirect, which the broker does not follow: configure the final URL (for example with a trailing slash)`,
    });
  });
});
