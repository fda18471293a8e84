/**
 * Rule 14, one access token per API: the demo's /apis/ page calls this origin's /api/ and a
 * second API on another origin that takes only tokens issued for its audience. A storm of
 * eight tabs on both APIs after expiry costs one grant per API, never a reuse, and no token
 * reaches the other API.
 */
import type { BrowserContext, Page } from '@playwright/test';
import { expect, login, loginThroughProvider, test, type ServerControl } from './fixtures.js';

const SECOND_AUDIENCE = 'https://api-b.demo';

/** In a tab: `count` calls to each API at once, when every armed tab hears "go". */
async function stormBothApis(tabs: Page[], count: number): Promise<string[][]> {
  const armed = tabs.map((tab) =>
    tab.evaluate(
      (n) =>
        new Promise<string[]>((resolve) => {
          const channel = new BroadcastChannel('e2e-apis-go');
          (window as any).__armed = true;
          channel.onmessage = async () => {
            channel.close();
            const calls = Array.from({ length: n }, () => [window.demo.api.get('/api/data'), window.demo.apiB!.get('data')]).flat();
            const results = await Promise.allSettled(calls);
            resolve(results.map((r) => (r.status === 'fulfilled' ? 'ok' : String((r.reason as { code?: string; response?: { status: number } }).response?.status ?? (r.reason as { code?: string }).code))));
          };
        }),
      count,
    ),
  );
  for (const tab of tabs) await tab.waitForFunction(() => (window as any).__armed === true);
  await tabs[0].evaluate(() => new BroadcastChannel('e2e-apis-go').postMessage('go'));
  const results = await Promise.all(armed);
  for (const tab of tabs) await tab.evaluate(() => ((window as any).__armed = false));
  return results;
}

/**
 * Records, per API, every `Authorization` header the context's pages send; `check()` asserts
 * each API got some and none got a token the other did.
 */
function recordTokensByApi(context: BrowserContext) {
  const sent = { a: new Set<string>(), b: new Set<string>() };
  context.on('request', (request) => {
    const url = new URL(request.url());
    const authorization = request.headers()['authorization'];
    if (authorization && url.pathname.startsWith('/api/')) sent[url.pathname.startsWith('/api/b/') ? 'b' : 'a'].add(authorization);
  });
  return {
    check() {
      expect(sent.a.size).toBeGreaterThan(0);
      expect(sent.b.size).toBeGreaterThan(0);
      expect([...sent.a].filter((token) => sent.b.has(token))).toEqual([]);
    },
  };
}

/**
 * Three calls to each API from every tab at once, and what they must cost: all succeed, one
 * grant per API, no reuse, the server refused none for its audience, and no token went to both.
 */
async function stormCostsOneGrantPerApi(tabs: Page[], server: ServerControl, tokens: ReturnType<typeof recordTokensByApi>): Promise<void> {
  const results = await stormBothApis(tabs, 3);
  expect(results).toEqual(tabs.map(() => Array(6).fill('ok')));
  const stats = await server.stats();
  expect(stats.grantsByResource).toEqual({ default: 1, [SECOND_AUDIENCE]: 1 });
  expect(stats).toMatchObject({ refreshes: 2, reuseDetected: 0, wrongAudience: 0 });
  tokens.check();
}

test.describe('several APIs, one token each (rule 14)', () => {
  test('8 tabs on two APIs after expiry: one grant per API, no reuse, no token crosses APIs', async ({ openTab, server, context }) => {
    const tabs: Page[] = [];
    for (let i = 0; i < 8; i++) tabs.push(await openTab('/apis/'));
    await login(tabs[0]);
    // Each API's first token: one grant for the second API (the login issued the first's).
    await server.reset();
    expect(await tabs[0].evaluate(() => Promise.all([window.demo.api.get('/api/data'), window.demo.apiB!.get('data')]).then((r) => r.map((each) => each.status)))).toEqual([200, 200]);
    expect((await server.stats()).grantsByResource).toEqual({ [SECOND_AUDIENCE]: 1 });

    const tokens = recordTokensByApi(context);
    await server.expireAccessTokens();
    await server.reset();
    await stormCostsOneGrantPerApi(tabs, server, tokens);
  });

  test('a URL outside the allowlist gets no token: misconfigured, and nothing is asked of the server', async ({ openTab, server }) => {
    const page = await openTab('/apis/');
    await login(page);
    await server.reset();
    const code = await page.evaluate(() => window.demo.broker.getAccessToken('https://evil.example/steal').then(() => 'token', (error) => error.code));
    expect(code).toBe('misconfigured');
    expect((await server.stats()).refreshes).toBe(0);
  });

  test('a provider that ignores the audience: the second API gets misconfigured naming it, no token is sent to it, the session goes on', async ({ openTab, server }) => {
    const page = await openTab('/apis/');
    await login(page);
    await server.setQuirks({ ignoreAudience: true, jwtAccessTokens: true });
    await server.reset();
    const error = await page.evaluate(() => window.demo.apiB!.get('data').then(() => null, (caught) => ({ code: caught.code, message: String(caught.message) })));
    expect(error?.code).toBe('misconfigured');
    expect(error?.message).toContain(SECOND_AUDIENCE);
    const stats = await server.stats();
    expect(stats).toMatchObject({ apiCalls: 0, reuseDetected: 0 });
    // The rotation it answered with was kept: the session and the first API still work.
    expect(await page.evaluate(() => window.demo.api.get('/api/data').then((r) => r.status))).toBe(200);
    expect(await page.evaluate(() => window.demo.broker.status().then((s) => s.loggedIn))).toBe(true);
  });
});

test.describe('several APIs against oidc-provider (RFC 8707 resource indicators)', () => {
  test.use({ baseURL: `http://127.0.0.1:${process.env.OIDC_PORT ?? 5303}` });

  test("4 tabs on two APIs after expiry: one refresh grant per resource, no reuse; the second API's token is for its resource only", async ({ openTab, server, context }) => {
    await server.setAccessTtl(2);
    const first = await openTab('/apis/');
    await loginThroughProvider(first, '/apis/');
    const tabs = [first, await openTab('/apis/'), await openTab('/apis/'), await openTab('/apis/')];
    await server.reset();
    expect(await first.evaluate(() => Promise.all([window.demo.api.get('/api/data'), window.demo.apiB!.get('data')]).then((r) => r.map((each) => each.status)))).toEqual([200, 200]);
    // (The login's own token may have come due meanwhile: its 2-second life is short on a loaded machine.)
    expect((await server.stats()).grantsByResource[SECOND_AUDIENCE]).toBe(1);
    const tokens = recordTokensByApi(context);
    await first.waitForTimeout(2300);
    // The refreshed tokens live 30 s: on a loaded machine the storm can outlast a 2-second token.
    await server.setAccessTtl(30);
    await server.reset();
    await stormCostsOneGrantPerApi(tabs, server, tokens);
  });
});
