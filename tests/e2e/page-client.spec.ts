import { expect, fireCalls, login, test } from './fixtures.js';

test('an axios call gets data through the worker-issued token and survives an expiry with one retry', async ({ openTab, server }) => {
  const page = await openTab('/');
  await login(page);
  const data = await page.evaluate(async () => (await window.demo.api.get('/api/data')).data);
  expect(data).toMatchObject({ user: 'demo' });

  // The server expires the token the page still holds: the next call gets a 401, one refresh, one retry.
  await server.expireAccessTokens();
  expect(await fireCalls(page, 1)).toEqual({ ok: 1, errors: [] });
  expect(await server.stats()).toMatchObject({ logins: 1, refreshes: 1, apiCalls: 3, api401: 1, reuseDetected: 0 });
});

test('ten parallel calls after expiry share one refresh message and all succeed', async ({ openTab, server }) => {
  const page = await openTab('/');
  await login(page);
  await fireCalls(page, 1);
  await server.expireAccessTokens();
  expect(await fireCalls(page, 10)).toEqual({ ok: 10, errors: [] });
  expect(await server.stats()).toMatchObject({ refreshes: 1, api401: 10, apiCalls: 21 });
});

test('the access token is refreshed ahead of expiry, so a well-behaved tab sees no 401', async ({ openTab, server }) => {
  await server.setAccessTtl(2);
  const page = await openTab('/');
  await login(page);
  expect(await fireCalls(page, 3)).toEqual({ ok: 3, errors: [] });
  await page.waitForTimeout(2200);
  expect(await fireCalls(page, 3)).toEqual({ ok: 3, errors: [] });
  expect(await server.stats()).toMatchObject({ refreshes: 1, api401: 0 });
});

test('broker events reach every tab, and a logged-out tab drops its cached token', async ({ openTab, server }) => {
  const a = await openTab('/');
  const b = await openTab('/');
  await b.evaluate(() => {
    (window as any).seen = [];
    for (const type of ['login', 'refreshed', 'logged-out', 'session-ended'] as const) {
      window.demo.broker.on(type, (event) => (window as any).seen.push(event.event));
    }
  });
  await login(a);
  await fireCalls(b, 1);
  await a.evaluate(() => window.demo.broker.logout());
  await expect.poll(() => b.evaluate(() => (window as any).seen)).toEqual(['login', 'logged-out']);
  const error = await b.evaluate(() => window.demo.api.get('/api/data').then(() => 'ok', (e) => e.code ?? e.response?.status));
  expect(error).toBe('not-logged-in');
  // The revocation runs in the background after logout settles (logout waits for no server): poll for it.
  await expect.poll(async () => (await server.stats()).revocations).toBe(1);
});

test('the page reports clearly when service workers are unavailable', async ({ browser, baseURL }) => {
  const context = await browser.newContext({ serviceWorkers: 'block', baseURL });
  const page = await context.newPage();
  await page.goto('/');
  await page.waitForFunction(() => document.body.dataset.ready === 'error');
  await expect(page.locator('#log')).toContainText('sw-unavailable');
  await context.close();
});
