/** Sealed mode: the worker signs API requests itself; the page never receives a token. */
import {
  FOREIGN_ORIGIN,
  RECORD_EVERYTHING,
  expect,
  fireCalls,
  hardReload,
  foreignRecords,
  heapSnapshot,
  login,
  readWorkerSession,
  resetForeignRecords,
  test,
} from './fixtures.js';

const SEALED_DB = 'sw-token-broker:demo-sealed';

test('the API origin gets the header from the worker, a foreign origin never does, and no-cors requests go bare', async ({ openTab, server }) => {
  await resetForeignRecords();
  const page = await openTab('/sealed/');
  expect(await page.evaluate(() => window.demo.broker.mode)).toBe('sealed');
  await login(page);
  expect(await fireCalls(page, 5)).toEqual({ ok: 5, errors: [] });
  // Plain fetch works sealed too; a no-cors request is never signed.
  expect(await page.evaluate(async () => (await fetch('/api/data')).status)).toBe(200);
  await page.evaluate(() => fetch('/api/data', { mode: 'no-cors' }));
  await page.evaluate((origin) => window.demo.api.get(`${origin}/api/data`), FOREIGN_ORIGIN);
  await page.evaluate((origin) => fetch(`${origin}/collect`, { method: 'POST', body: 'x' }), FOREIGN_ORIGIN);
  expect(await server.stats()).toMatchObject({ apiCalls: 7, api401: 1, refreshes: 0 });
  const records = await foreignRecords();
  expect(records.length).toBeGreaterThanOrEqual(2);
  for (const record of records) expect(record.headers.authorization).toBeUndefined();
  await expect(page.evaluate(() => window.demo.broker.getAccessToken())).rejects.toThrow(/sealed mode/);
});

test('sealed: a 401 is refreshed by generation and retried once, and the page never receives a token', async ({ context, openTab, server }) => {
  await context.addInitScript(RECORD_EVERYTHING);
  const tabs = [await openTab('/sealed/'), await openTab('/sealed/')];
  await login(tabs[0]);
  const tokens: string[] = [];
  const remember = async () => {
    const session = await readWorkerSession(context, SEALED_DB);
    tokens.push(session.accessToken, session.refreshToken);
  };
  await remember();
  expect(await fireCalls(tabs[0], 3)).toEqual({ ok: 3, errors: [] });
  await server.expireAccessTokens();
  expect(await fireCalls(tabs[1], 5)).toEqual({ ok: 5, errors: [] });
  await remember();
  expect(await server.stats()).toMatchObject({ logins: 1, refreshes: 1, api401: 5, reuseDetected: 0 });
  expect((await readWorkerSession(context, SEALED_DB)).generation).toBe(2);

  for (const tab of tabs) {
    const received: string[] = await tab.evaluate(() => (window as any).__received);
    expect(received.some((line) => line.startsWith('xhr /api/data'))).toBe(true);
    const storages = await tab.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie }));
    const heap = await heapSnapshot(tab);
    for (const token of tokens) {
      for (const line of received) expect(line).not.toContain(token);
      expect(storages).not.toContain(token);
      expect(heap.includes(token), 'a token in the page heap').toBe(false);
    }
  }
});

test('the sealed demo and the handoff demo on one origin keep separate sessions', async ({ openTab, server }) => {
  const sealed = await openTab('/sealed/');
  const handoff = await openTab('/');
  await login(sealed);
  expect(await sealed.evaluate(() => window.demo.broker.status())).toMatchObject({ loggedIn: true, mode: 'sealed' });
  expect(await handoff.evaluate(() => window.demo.broker.status())).toMatchObject({ loggedIn: false, mode: 'handoff' });
  await login(handoff);
  await sealed.evaluate(() => window.demo.broker.logout());
  expect(await handoff.evaluate(() => window.demo.broker.status())).toMatchObject({ loggedIn: true });
  expect(await fireCalls(handoff, 2)).toEqual({ ok: 2, errors: [] });
  // The revocation runs in the background after logout settles (logout waits for no server): poll for it.
  await expect.poll(async () => (await server.stats()).revocations).toBe(1);
  expect(await server.stats()).toMatchObject({ logins: 2, revocations: 1 });
});

test('a sealed page loaded with Shift+Reload gets controlled and its requests are signed, with no reload loop', async ({ openTab, server }) => {
  const page = await openTab('/sealed/');
  await login(page);
  const navigations = await hardReload(page);
  expect(await page.evaluate(() => document.body.dataset.ready)).toBe('true');
  expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toMatch(/\/sealed\/sw\.js$/);
  expect(await fireCalls(page, 3)).toEqual({ ok: 3, errors: [] });
  expect(navigations.length).toBeLessThanOrEqual(2);
  expect(await server.stats()).toMatchObject({ api401: 0 });
});

test('sealed: plain fetch needs no page code: the worker refreshes once for a storm of 401s and retries each request itself', async ({ context, openTab, server }) => {
  const page = await openTab('/sealed/');
  await login(page);
  expect(await fireCalls(page, 1)).toEqual({ ok: 1, errors: [] });
  await server.expireAccessTokens();
  await server.reset();
  const statuses = await page.evaluate(async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => fetch('/api/data')));
    return answers.map((answer) => [answer.status, answer.headers.get('x-sw-token-broker-retried')]);
  });
  expect(statuses).toEqual(Array(8).fill([200, '1']));
  const stats = await server.stats();
  expect(stats).toMatchObject({ refreshes: 1, reuseDetected: 0 });
  expect((await readWorkerSession(context, SEALED_DB)).generation).toBe(2);
});

test('sealed: a 401 from a URL outside the allowlist gets the same console hint as in handoff mode, once per origin (Chromium: resource timing reports the status)', async ({ openTab }) => {
  const page = await openTab('/sealed/');
  const warnings: string[] = [];
  page.on('console', (message) => message.type() === 'warning' && warnings.push(message.text()));
  await login(page);
  for (let i = 0; i < 2; i++) expect(await page.evaluate(async () => (await fetch('/auth/test/unauthorized')).status)).toBe(401);
  // An allowlisted URL's 401 is the worker's business, not this hint's.
  await expect.poll(() => warnings.filter((text) => text.includes("outside the worker's apiAllowlist"))).toHaveLength(1);
  expect(warnings.find((text) => text.includes('apiAllowlist'))).toContain('/auth/test/unauthorized');
});
