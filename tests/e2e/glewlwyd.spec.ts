/**
 * The broker against Glewlwyd 2.7 (Debian's package: a C OpenID provider on SQLite), which this
 * project did not write: login by redirect with PKCE through its own login and consent pages,
 * one-time refresh tokens, DPoP-bound tokens, and a revocation endpoint that requires client
 * authentication. tests/e2e/idp/glewlwyd-server.mjs sets it up from nothing and is its public
 * origin; the fixture page and worker are tests/e2e/idp/oidc-page.ts and oidc-sw.ts.
 */
import type { APIRequestContext, Page } from '@playwright/test';
import { GLEWLWYD_PORT } from '../../playwright.config.js';
import { expect, fireCalls, test } from './fixtures.js';
import { providerScenarios, workerSession } from './provider-scenarios.js';

const origin = `http://127.0.0.1:${GLEWLWYD_PORT}`;

interface GlewlwydStats {
  logins: number;
  refreshes: number;
  refreshesRejected: number;
  reuseDetected: number;
  revocations: number;
  revocationsRefused: number;
  apiCalls: number;
  api401: number;
  dpopBound: number;
}

function control(request: APIRequestContext) {
  const post = async (path: string, data?: unknown) => {
    const response = await request.post(`${origin}${path}`, { data });
    expect(response.ok(), `${path} answered ${response.status()}`).toBe(true);
    return response.json();
  };
  return {
    stats: async (): Promise<GlewlwydStats> => (await request.get(`${origin}/auth/stats`)).json(),
    reset: () => post('/auth/stats/reset'),
    expireAccessTokens: () => post('/auth/test/expire-access-tokens'),
    /** A refresh grant with `refreshToken`, straight to Glewlwyd: 200 while it is live. */
    replay: async (refreshToken: string): Promise<number> => (await post('/auth/test/replay', { refreshToken })).status,
  };
}

/** Logs in by redirect through Glewlwyd's login page (demo/demo) and its "Continue" page, back to `scope`. */
async function loginThroughGlewlwyd(page: Page, scope = '/'): Promise<void> {
  await page.evaluate(() => void window.demo.broker.loginWithRedirect());
  await page.waitForURL((url) => url.pathname === '/login.html');
  const continueButton = page.locator('button:has-text("Continue")');
  await expect(page.locator('#username').or(continueButton).first()).toBeVisible();
  if (await page.locator('#username').isVisible()) {
    await page.fill('#username', 'demo');
    await page.fill('#password', 'demo');
    await page.click('#loginbut');
  }
  await continueButton.click();
  await page.waitForURL((url) => url.pathname === scope);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  expect(await page.evaluate(() => window.redirectResult)).toBe(true);
}

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
const events = (page: Page) => page.evaluate(() => [...window.brokerEvents]);

test.describe('Glewlwyd 2.7', () => {
  let glewlwyd: ReturnType<typeof control>;
  test.beforeEach(async ({ request }) => {
    glewlwyd = control(request);
    await glewlwyd.reset();
  });

  // The storm, the stopped worker, sealed mode: tests/e2e/provider-scenarios.ts.
  providerScenarios(() => ({
    origin,
    login: loginThroughGlewlwyd,
    stats: () => glewlwyd.stats(),
    reset: () => glewlwyd.reset(),
    expireAccessTokens: () => glewlwyd.expireAccessTokens(),
    // One-time refresh tokens: a grant with a spent one is refused.
    isRefreshTokenLive: async (refreshToken) => (await glewlwyd.replay(refreshToken)) === 200,
  }));

  test("DPoP: Glewlwyd binds the tokens to the worker's key (cnf.jkt), the API checks every proof, and an expiry storm is one refresh", async ({ openTab, context }) => {
    const page = await openTab(`${origin}/dpop/`);
    await loginThroughGlewlwyd(page, '/dpop/');
    expect(await page.evaluate(() => window.demo.broker.status())).toMatchObject({ loggedIn: true, dpopBound: true });
    const session = await workerSession(context, '/dpop/');
    expect(claimsOf(session!.accessToken).cnf?.jkt).toEqual(expect.any(String));
    await glewlwyd.expireAccessTokens();
    await glewlwyd.reset();
    expect(await fireCalls(page, 10)).toEqual({ ok: 10, errors: [] });
    const stats = await glewlwyd.stats();
    expect(stats).toMatchObject({ refreshes: 1, reuseDetected: 0 });
    expect(stats.dpopBound).toBeGreaterThanOrEqual(10);
    // The refreshed token is bound too.
    expect(claimsOf((await workerSession(context, '/dpop/'))!.accessToken).cnf?.jkt).toBe(claimsOf(session!.accessToken).cnf.jkt);
  });

  test('logout with the adapter as it is: Glewlwyd refuses the public client at its revocation endpoint (401), and every tab is told revocation-failed', async ({ openTab, context }) => {
    const page = await openTab(`${origin}/`);
    await loginThroughGlewlwyd(page);
    const other = await openTab(`${origin}/`);
    const { refreshToken } = (await workerSession(context))!;
    await page.evaluate(() => window.demo.broker.logout());
    await expect
      .poll(async () => (await events(other)).find((line) => line.startsWith('revocation-failed')))
      .toMatch(/^revocation-failed: The refresh token of the logged-out session was not revoked: The revocation endpoint http:\/\/127\.0\.0\.1:\d+\/api\/oidc\/revoke refused the request \(401/);
    expect(await glewlwyd.stats()).toMatchObject({ revocations: 0, revocationsRefused: 1 });
    // What the event warns of: the refresh token is still live at Glewlwyd.
    expect(await glewlwyd.replay(refreshToken)).toBe(200);
  });

  test("logout with revoke replaced by Glewlwyd's delete_token grant (the adapter spread, its checks kept): revoked, and a replay is refused", async ({ openTab, context }) => {
    const page = await openTab(`${origin}/delete-token/`);
    await loginThroughGlewlwyd(page, '/delete-token/');
    const { refreshToken } = (await workerSession(context, '/delete-token/'))!;
    await page.evaluate(() => window.demo.broker.logout());
    await expect.poll(() => events(page)).toContain('revoked: The refresh token of the logged-out session was revoked at the server');
    expect((await glewlwyd.stats()).revocations).toBe(1);
    expect(await glewlwyd.replay(refreshToken)).not.toBe(200);
  });

  test("logout({ endSession: true }) at Glewlwyd: every tab is logged out, Glewlwyd's session ends, and the next login asks for the password", async ({ openTab }) => {
    const page = await openTab(`${origin}/`);
    await loginThroughGlewlwyd(page);
    const other = await openTab(`${origin}/`);
    await page.evaluate(() => void window.demo.broker.logout({ endSession: true }));
    // Glewlwyd's end_session sends the browser to its own page, which asks to confirm.
    await page.waitForURL((url) => url.pathname === '/login.html' && url.searchParams.get('prompt') === 'end_session');
    await expect.poll(() => other.evaluate(() => window.demo.broker.status().then((s) => s.loggedIn))).toBe(false);
    await page.locator('button:has-text("Logout")').first().click();
    await page.waitForURL((url) => url.pathname === '/' && !url.searchParams.has('state'));
    await page.waitForFunction(() => document.body.dataset.ready === 'true');
    // The next login by redirect shows the password form: no silent sign-in.
    await page.evaluate(() => void window.demo.broker.loginWithRedirect());
    await page.waitForURL((url) => url.pathname === '/login.html');
    await expect(page.locator('#username')).toBeVisible();
  });

  test("the password grant from its public client: Glewlwyd's 403 without a body is login-failed naming both causes, not just a wrong password", async ({ openTab }) => {
    const page = await openTab(`${origin}/password-grant/`);
    const error = await page.evaluate(() =>
      window.demo.broker.login({ username: 'demo', password: 'demo' }).then(
        () => null,
        (e: { code?: string; message?: string }) => ({ code: e.code, message: e.message }),
      ),
    );
    expect(error).toEqual({
      code: 'login-failed',
      message:
        "The server refused the login (403, with no error code): either the credentials, or this client is not allowed the grant (Glewlwyd answers a public client's password grant so; log in by redirect there)",
    });
  });
});
