/**
 * Against a real identity provider: the embedded oidc-provider (public client, PKCE
 * required, refresh-token rotation with reuse detection, revocation), logged in through
 * its own login pages.
 */
import { RECORD_EVERYTHING, expect, fireCalls, fireInAllTabsAtOnce, heapSnapshot, loginThroughProvider, readWorkerSession, test } from './fixtures.js';

const OIDC_ORIGIN = `http://127.0.0.1:${process.env.OIDC_PORT ?? 5303}`;
const DB = 'sw-token-broker:demo-oidc';
test.use({ baseURL: OIDC_ORIGIN });

test('login by redirect through oidc-provider: the worker exchanges the code, which never reaches the page', async ({ context, openTab, server }) => {
  await context.addInitScript(RECORD_EVERYTHING);
  const page = await openTab('/');
  const callbackUrl = await loginThroughProvider(page);
  const code = new URL(callbackUrl).searchParams.get('code');
  expect(code).toBeTruthy();
  await expect(page.locator('#log')).toContainText('Logged in through the identity provider');
  expect(page.url()).toBe(`${OIDC_ORIGIN}/`);
  expect(await fireCalls(page, 3)).toEqual({ ok: 3, errors: [] });
  expect(await server.stats()).toMatchObject({ logins: 1, apiCalls: 3, api401: 0 });

  const { refreshToken } = await readWorkerSession(context, DB);
  const received: string[] = await page.evaluate(() => (window as any).__received);
  const heap = await heapSnapshot(page);
  for (const secret of [code!, refreshToken]) {
    for (const line of received) expect(line).not.toContain(secret);
    expect(heap.includes(secret)).toBe(false);
  }
});

test('several tabs share one refresh at the provider after expiry, with no reuse detection', async ({ openTab, server }) => {
  await server.setAccessTtl(2);
  const first = await openTab('/');
  await loginThroughProvider(first);
  const tabs = [first, await openTab('/'), await openTab('/'), await openTab('/')];
  await first.waitForTimeout(2300);
  // The refreshed token lives 30 s: on a loaded machine the storm can outlast a 2-second token.
  await server.setAccessTtl(30);
  const results = await fireInAllTabsAtOnce(tabs, 10);
  expect(results).toEqual(tabs.map(() => ({ ok: 10, errors: [] })));
  expect(await server.stats()).toMatchObject({ logins: 1, refreshes: 1, refreshesRejected: 0, reuseDetected: 0 });
});

test('logout revokes at the provider: the old refresh token is refused afterwards', async ({ context, openTab, server, request }) => {
  const page = await openTab('/');
  await loginThroughProvider(page);
  const { refreshToken } = await readWorkerSession(context, DB);
  expect(await server.isRefreshTokenActive(refreshToken)).toBe(true);
  await page.locator('#logout').click();
  await expect(page.locator('#session-state')).toHaveText('Logged out');
  // The revocation runs in the background after logout settles (logout waits for no server): poll for it.
  await expect.poll(async () => (await server.stats()).revocations).toBe(1);
  expect(await server.isRefreshTokenActive(refreshToken)).toBe(false);
  // From outside the browser, as a thief would: the provider refuses it.
  const response = await request.post('/oidc/token', {
    form: { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'sw-token-broker-demo' },
  });
  expect(response.status()).toBe(400);
  expect((await response.json()).error).toBe('invalid_grant');
});

test('a forged or replayed callback is refused: no session, and the page announces nothing (the result is not bound to this tab)', async ({ openTab }) => {
  const page = await openTab('/');
  const warnings: string[] = [];
  page.on('console', (message) => message.type() === 'warning' && warnings.push(message.text()));
  await page.goto('/oidc-callback?code=stolen&state=forged&iss=x');
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  expect(page.url()).toBe(`${OIDC_ORIGIN}/`);
  await expect.poll(() => warnings.some((w) => w.includes('ignored a login result'))).toBe(true);
  await expect(page.locator('#log')).not.toContainText('Logged in');
  expect(await page.evaluate(() => window.demo.broker.status())).toMatchObject({ loggedIn: false });
});

test('logging in again at the provider (its session still open) keeps the new session: the replaced refresh token is not revoked, since the provider shares one grant', async ({ openTab, server }) => {
  const page = await openTab('/');
  await loginThroughProvider(page);
  await server.setAccessTtl(2);
  // The provider remembers the browser: the second login comes straight back with a new code.
  const callback = page.waitForRequest((request) => new URL(request.url()).pathname === '/oidc-callback');
  await page.locator('#login').click();
  await callback;
  await expect.poll(() => page.evaluate(() => window.demo?.broker.status().then((status) => status.generation)).catch(() => null)).toBe(2);
  expect(await server.stats()).toMatchObject({ logins: 2, revocations: 0 });
  // Revoking the replaced token would have revoked this grant: the refresh would fail with "refresh token not found".
  await page.waitForTimeout(2300);
  // The refreshed token lives 30 s: on a loaded machine the storm can outlast a 2-second token.
  await server.setAccessTtl(30);
  expect(await fireCalls(page, 3)).toEqual({ ok: 3, errors: [] });
  expect(await server.stats()).toMatchObject({ refreshes: 1, refreshesRejected: 0, reuseDetected: 0 });
});

test('rule 14: parameters the worker allows reach the provider (prompt=login asks again with its session open, login_hint fills its form); a forbidden one rejects typed, with no navigation and nothing sent to the provider', async ({ openTab }) => {
  const page = await openTab('/');
  await loginThroughProvider(page);
  const toProvider: string[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname.startsWith('/oidc/auth')) toProvider.push(request.url());
  });
  const forbidden: Array<Record<string, string>> = [{ client_id: 'evil' }, { redirect_uri: 'https://evil.example/cb' }, { state: 'x' }, { code_challenge: 'x' }, { scope: 'openid admin' }, { organization: 'org_1' }, { login_hint: 'bob\r\nx' }];
  for (const authorizationParams of forbidden) {
    const code = await page.evaluate((params) => window.demo.broker.loginWithRedirect({ authorizationParams: params }).then(() => 'navigated', (error: { code?: string }) => error.code), authorizationParams);
    expect(code, JSON.stringify(authorizationParams)).toBe('forbidden-parameter');
  }
  expect(page.url()).toBe(`${OIDC_ORIGIN}/`);
  expect(toProvider).toEqual([]);

  void page.evaluate(() => window.demo.broker.loginWithRedirect({ authorizationParams: { prompt: 'login', login_hint: 'bob' } })).catch(() => undefined);
  await page.waitForURL(/\/oidc\/interaction\//);
  // The provider's session for alice is open: without prompt=login it would have come straight back.
  await expect(page.locator('input[name=login]')).toHaveValue('bob');
  expect(new URL(toProvider[0]).searchParams.get('prompt')).toBe('login');
  await page.fill('input[name=password]', 'anything');
  await page.locator('button[type=submit]').click();
  await page.waitForURL((url) => !url.pathname.startsWith('/oidc/') || url.pathname.includes('/interaction/'));
  const consent = page.locator('button:has-text("Continue")');
  if (page.url().includes('/interaction/') && (await consent.count())) await consent.click();
  await page.waitForURL(`${OIDC_ORIGIN}/`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  expect(await page.evaluate(() => window.demo.broker.status().then((status) => status.claims?.sub))).toBe('bob');
});

test('step-up (RFC 9470): an API that wants a more recent login gets StepUpRequiredError with its max_age and no refresh; loginWithRedirect with that max_age makes the provider ask again, and the API answers', async ({ openTab, server }) => {
  const page = await openTab('/');
  await loginThroughProvider(page);
  const loggedInAt = Math.floor(Date.now() / 1000);
  await server.configure({ stepUpMaxAgeSeconds: 0 });
  // The login is a second old: older than the API's max_age of 0.
  await page.waitForTimeout(1100);
  await server.reset();
  const refused = await page.evaluate(() =>
    window.demo.api.get('/api/recent-login').then(
      () => null,
      (error: { name?: string; code?: string; details?: unknown }) => ({ name: error.name, code: error.code, details: error.details }),
    ),
  );
  expect(refused).toEqual({ name: 'StepUpRequiredError', code: 'step-up-required', details: { status: 401, maxAge: 0 } });
  // One request, no refresh, no retry: a refreshed token carries the same old login.
  expect(await server.stats()).toMatchObject({ apiCalls: 1, refreshes: 0 });

  await server.configure({ stepUpMaxAgeSeconds: 60 });
  void page.evaluate(() => window.demo.broker.loginWithRedirect({ authorizationParams: { max_age: 0 } })).catch(() => undefined);
  // max_age=0: the provider's session for alice is open, and still it asks for the login again.
  await page.waitForURL(/\/oidc\/interaction\//);
  await page.fill('input[name=login]', 'alice');
  await page.fill('input[name=password]', 'anything');
  await page.locator('button[type=submit]').click();
  await page.waitForURL((url) => !url.pathname.startsWith('/oidc/') || url.pathname.includes('/interaction/'));
  const consent = page.locator('button:has-text("Continue")');
  if (page.url().includes('/interaction/') && (await consent.count())) await consent.click();
  await page.waitForURL(`${OIDC_ORIGIN}/`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  // With max_age asked, the id_token names when the user logged in: the new login, and the worker checked it.
  const claims = await page.evaluate(() => window.demo.broker.status().then((status) => status.claims));
  expect(claims?.auth_time).toBeGreaterThan(loggedInAt);
  expect(await page.evaluate(() => window.demo.api.get('/api/recent-login').then((response) => response.status))).toBe(200);
});

test.describe('login in a popup', () => {
  /** Logs in on the provider's pages in `popup`, as alice. */
  const loginIn = async (popup: import('@playwright/test').Page) => {
    await popup.waitForURL(/\/oidc\/interaction\//);
    await popup.fill('input[name=login]', 'alice');
    await popup.fill('input[name=password]', 'anything');
    await popup.locator('button[type=submit]').click();
    const consent = popup.locator('button:has-text("Continue")');
    await popup.waitForURL((url) => !url.pathname.startsWith('/oidc/') || url.pathname.includes('/interaction/')).catch(() => undefined);
    if (!popup.isClosed() && popup.url().includes('/interaction/') && (await consent.count())) await consent.click();
  };
  const loggedIn = (page: import('@playwright/test').Page) => page.evaluate(() => window.demo.broker.status().then((status) => status.loggedIn));

  test('the worker answers the callback in the popup: the opener never navigates, the popup closes, every tab hears the login, and the code reaches no page', async ({ context, openTab, server }) => {
    await context.addInitScript(RECORD_EVERYTHING);
    const page = await openTab('/');
    const other = await openTab('/');
    let callbackUrl = '';
    context.on('request', (request) => {
      if (new URL(request.url()).pathname === '/oidc-callback' && new URL(request.url()).searchParams.has('code')) callbackUrl = request.url();
    });
    const popupOpened = page.waitForEvent('popup');
    await page.locator('#login-popup').click();
    const popup = await popupOpened;
    const closed = popup.waitForEvent('close');
    await loginIn(popup);
    await closed;
    await expect(page.locator('#log')).toContainText('Logged in through the identity provider, in a popup');
    expect(page.url()).toBe(`${OIDC_ORIGIN}/`);
    expect(await loggedIn(page)).toBe(true);
    await expect.poll(() => loggedIn(other)).toBe(true);
    expect(await server.stats()).toMatchObject({ logins: 1 });
    expect(await fireCalls(other, 3)).toEqual({ ok: 3, errors: [] });
    const code = new URL(callbackUrl).searchParams.get('code')!;
    expect(code).toBeTruthy();
    for (const tab of [page, other]) {
      const received: string[] = await tab.evaluate(() => (window as any).__received);
      for (const line of received) expect(line).not.toContain(code);
    }
  });

  test('a popup the user closes is popup-closed, and no session changed', async ({ openTab, server }) => {
    const page = await openTab('/');
    const popupOpened = page.waitForEvent('popup');
    const outcome = page.evaluate(() => window.demo.broker.loginWithPopup().then(() => 'logged in', (error: { code?: string }) => error.code));
    const popup = await popupOpened;
    await popup.waitForURL(/\/oidc\/interaction\//);
    await popup.close();
    expect(await outcome).toBe('popup-closed');
    expect(await loggedIn(page)).toBe(false);
    expect(await server.stats()).toMatchObject({ logins: 0 });
  });

  test('a popup left at the provider past timeoutMs is closed and popup-timeout, and no session changed', async ({ openTab, server }) => {
    const page = await openTab('/');
    const popupOpened = page.waitForEvent('popup');
    const outcome = page.evaluate(() => window.demo.broker.loginWithPopup({ timeoutMs: 2000 }).then(() => 'logged in', (error: { code?: string }) => error.code));
    const popup = await popupOpened;
    const closed = popup.waitForEvent('close');
    expect(await outcome).toBe('popup-timeout');
    await closed;
    expect(await loggedIn(page)).toBe(false);
    expect(await server.stats()).toMatchObject({ logins: 0 });
  });

  test('a blocked popup (window.open answering null, as a blocker does) is popup-blocked, before anything is asked of the worker', async ({ openTab }) => {
    const page = await openTab('/');
    const outcome = await page.evaluate(() => {
      window.open = () => null;
      return window.demo.broker.loginWithPopup().then(() => 'logged in', (error: { code?: string }) => error.code);
    });
    expect(outcome).toBe('popup-blocked');
    expect(await loggedIn(page)).toBe(false);
  });
});

test.describe('logout at the provider (RP-initiated logout)', () => {
  /**
   * After a logout, a new login by redirect: true when the provider asked for credentials; false
   * when it signed the user straight back in (asking at most to confirm the client's access
   * again, which it does when the revoked refresh token took the grant with it: that is
   * clicked through, and the login finishes).
   */
  async function providerAsksAgain(page: import('@playwright/test').Page): Promise<boolean> {
    await page.locator('#login').click();
    await page.waitForURL(/\/oidc\//);
    await page.waitForURL((url) => url.pathname.includes('/interaction/') || !url.pathname.startsWith('/oidc/'));
    if (!page.url().includes('/interaction/')) return false;
    if (await page.locator('input[name=password]').isVisible()) return true;
    await page.locator('button:has-text("Continue")').click();
    await page.waitForURL((url) => !url.pathname.startsWith('/oidc/'));
    return false;
  }

  test('a local logout leaves the provider session open: the next login is silent', async ({ openTab }) => {
    const page = await openTab('/');
    await loginThroughProvider(page);
    await page.evaluate(() => window.demo.broker.logout());
    expect(await providerAsksAgain(page)).toBe(false);
    await page.waitForFunction(() => document.body.dataset.ready === 'true');
    expect(await page.evaluate(() => window.demo.broker.status().then((s) => s.loggedIn))).toBe(true);
  });

  test("logout({ endSession: true }) ends it: every tab hears the logout, the provider's session ends, the next login asks for the password", async ({ openTab, server }) => {
    const page = await openTab('/');
    await loginThroughProvider(page);
    const other = await openTab('/');
    expect(await other.evaluate(() => window.demo.broker.status().then((s) => s.loggedIn))).toBe(true);
    await server.reset();
    await page.evaluate(() => void window.demo.broker.logout({ endSession: true }));
    // oidc-provider asks the user to confirm (its default logout page); the hint names the session.
    await page.waitForURL(/\/oidc\/session\/end/);
    expect(new URL(page.url()).searchParams.get('id_token_hint')).toBeTruthy();
    await page.locator('button[name=logout][value=yes]').click();
    // Back at the worker's post_logout_redirect_uri; the page checked and removed its state.
    await page.waitForURL((url) => url.pathname === '/' && !url.searchParams.has('state'));
    await page.waitForFunction(() => document.body.dataset.ready === 'true');
    expect(await other.evaluate(() => window.demo.broker.status().then((s) => s.loggedIn))).toBe(false);
    expect((await server.stats()).revocations).toBe(1);
    expect(await providerAsksAgain(page)).toBe(true);
  });
});

test("userinfo: the worker reads the provider's userinfo with the session's token, sub checked, once per session", async ({ openTab }) => {
  const page = await openTab('/');
  await loginThroughProvider(page);
  const [first, second] = await page.evaluate(() => Promise.all([window.demo.broker.userinfo(), window.demo.broker.userinfo()]));
  expect(first).toMatchObject({ sub: 'alice' });
  expect(second).toEqual(first);
  await page.evaluate(() => window.demo.broker.logout());
  expect(await page.evaluate(() => window.demo.broker.userinfo().then(() => 'answered', (error) => error.code))).toBe('not-logged-in');
});
