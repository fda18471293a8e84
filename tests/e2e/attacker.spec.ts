/**
 * The attacker suite: script (or plain HTML) injected into a page of the origin, doing
 * what an XSS or a compromised dependency would, and what it gets. Each test names the
 * attack in its title and asserts the outcome; the foreign-origin recorder and the demo
 * server's echo endpoint witness where tokens went.
 */
import type { Page } from '@playwright/test';
import {
  FOREIGN_ORIGIN,
  expect,
  fireCalls,
  foreignRecords,
  login,
  rawMessage,
  readWorkerSession,
  resetForeignRecords,
  stopWorkers,
  test,
} from './fixtures.js';
import { LOAD_MARGIN } from './bounds.js';

const envelope = { protocol: 'sw-token-broker', v: 1 };
const OIDC_ORIGIN = `http://127.0.0.1:${process.env.OIDC_PORT ?? 5303}`;

test('<base href> injected into the HTML: a relative API call goes to the foreign origin without a token', async ({ openTab }) => {
  await resetForeignRecords();
  const page = await openTab('/');
  await login(page);
  expect(await fireCalls(page, 1)).toEqual({ ok: 1, errors: [] });
  const token = await page.evaluate(() => window.demo.broker.getAccessToken());
  await page.evaluate((foreign) => {
    const base = document.createElement('base');
    base.href = `${foreign}/`;
    document.head.prepend(base);
  }, FOREIGN_ORIGIN);
  expect(await page.evaluate(() => document.baseURI)).toBe(`${FOREIGN_ORIGIN}/`);
  await page.evaluate(() => window.demo.api.get('/api/data').catch(() => undefined));
  const records = await foreignRecords();
  // The request did go there (so the check is not vacuous), and carried no token.
  expect(records.some((r) => r.url === '/api/data')).toBe(true);
  expect(JSON.stringify(records)).not.toContain(token);
  expect(records.every((r) => r.headers.authorization === undefined)).toBe(true);
});

test('returnTo with a tab in it (/\\t/evil.example/landed) is refused before any login starts', async ({ page }) => {
  await page.goto(`${OIDC_ORIGIN}/`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  for (const returnTo of ['/\t/evil.example/landed', '/\n/evil.example', '//evil.example/', '/\\evil.example']) {
    const reply = await rawMessage(page, { ...envelope, id: 'r1', type: 'authorize', returnTo, check: 'c'.repeat(20) });
    expect(reply).toEqual({ ok: false, id: 'r1', error: { code: 'malformed-message', message: 'authorize.returnTo must be a same-origin path starting with /' } });
  }
});

test('a forged redirect result in a link (#sw-token-broker=ok, or an error with attacker text) is ignored', async ({ page }) => {
  const messages: string[] = [];
  page.on('console', (message) => messages.push(message.text()));
  await page.goto(`${OIDC_ORIGIN}/#sw-token-broker=ok`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  await expect(page.locator('#log')).not.toContainText('Logged in through the identity provider');
  expect(new URL(page.url()).hash).toBe('');
  await page.goto(`${OIDC_ORIGIN}/?again#sw-token-broker=error&code=login-failed&message=Call+0800+EVIL+to+restore+your+account`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  await expect(page.locator('#log')).not.toContainText('0800 EVIL');
  expect(messages.filter((m) => m.includes('ignored a login result'))).toHaveLength(2);
});

test('50 authorize messages in a loop: at most 10 pending logins are kept', async ({ page, context }) => {
  await page.goto(`${OIDC_ORIGIN}/`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  for (let i = 0; i < 50; i++) {
    const reply = await rawMessage(page, { ...envelope, id: `a${i}`, type: 'authorize', returnTo: '/', check: `check-${String(i).padStart(16, '0')}` });
    expect(reply.ok).toBe(true);
  }
  const worker = context.serviceWorkers().find((w) => w.url().endsWith('/sw.js'))!;
  const pending = await worker.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open(`sw-token-broker:demo-oidc`);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const keys = open.result.transaction('kv').objectStore('kv').getAllKeys();
          keys.onsuccess = () => resolve(keys.result.filter((key) => String(key).startsWith('pending:')).length);
        };
      }),
  );
  expect(pending).toBeLessThanOrEqual(10);
  expect(pending).toBeGreaterThan(0);
});

test('binary, Map and deeply nested payloads are refused with typed errors, and the worker keeps serving', async ({ openTab }) => {
  const page = await openTab('/');
  const replies = await page.evaluate(async (envelope) => {
    const registration = await navigator.serviceWorker.ready;
    const send = (message: unknown, transfer: Transferable[] = []) =>
      new Promise<any>((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = (event) => resolve(event.data);
        registration.active!.postMessage(message, [channel.port2, ...transfer]);
      });
    const big = new ArrayBuffer(8 * 1024 * 1024);
    return [
      await send({ ...envelope, id: 'b1', type: 'login', credentials: { username: 'demo', password: 'demo' }, blob: big }, [big]),
      await send({ ...envelope, id: 'b2', type: 'login', credentials: { username: 'demo', password: 'demo' }, map: new Map(Array.from({ length: 100_000 }, (_, i) => [i, i])) }),
      await send({ ...envelope, id: 'b3', type: 'status', nested: JSON.parse('['.repeat(200) + ']'.repeat(200)) }),
      await send({ ...envelope, id: 'b4', type: 'status' }),
    ];
  }, envelope);
  expect(replies.map((r) => [r.id, r.ok, r.error?.code])).toEqual([
    ['b1', false, 'malformed-message'],
    ['b2', false, 'malformed-message'],
    ['b3', false, 'message-too-large'],
    ['b4', true, undefined],
  ]);
});

test('refresh messages without a failed credential, one every 20 ms: no rotation while the token is not due', async ({ openTab, server }) => {
  const page = await openTab('/');
  await login(page);
  await server.reset();
  for (let i = 0; i < 35; i++) {
    const reply = await rawMessage(page, { ...envelope, id: `f${i}`, type: 'refresh' });
    expect(reply).toMatchObject({ ok: true, refreshed: false, generation: 1 });
    await page.waitForTimeout(20);
  }
  expect((await server.stats()).refreshes).toBe(0);
});

test('logging in over a session: the replaced refresh token is revoked at the server', async ({ context, openTab, server }) => {
  const page = await openTab('/');
  await login(page);
  const { refreshToken } = await readWorkerSession(context);
  await login(page);
  await expect.poll(() => server.isRefreshTokenActive(refreshToken)).toBe(false);
  expect((await readWorkerSession(context)).refreshToken).not.toBe(refreshToken);
  expect(await fireCalls(page, 2)).toEqual({ ok: 2, errors: [] });
});

test('logout with a slow token endpoint and the worker stopped mid-refresh: logout settles, every tab is logged out, the token is revoked', async ({ context, openTab, server }) => {
  const tabs = [await openTab('/'), await openTab('/')];
  await login(tabs[0]);
  const { refreshToken } = await readWorkerSession(context);
  await server.setRefreshDelay(5000);
  await server.expireAccessTokens();
  const pending = fireCalls(tabs[0], 3);
  await expect.poll(async () => (await server.stats()).api401).toBeGreaterThanOrEqual(1);
  await stopWorkers(tabs[0]);
  await expect(tabs[1].evaluate(() => window.demo.broker.logout())).resolves.toMatchObject({ loggedIn: false });
  for (const tab of tabs) expect(await tab.evaluate(() => window.demo.broker.status())).toMatchObject({ loggedIn: false });
  await expect.poll(() => server.isRefreshTokenActive(refreshToken)).toBe(false);
  const settled = await pending;
  expect(settled.ok).toBe(0);
  expect(settled.errors).toHaveLength(3);
  expect(await readWorkerSession(context)).toBeUndefined();
  // A refresh the stopped worker may have left on the wire (on a loaded machine the stop can
  // also come before the worker sent it) ends at the server within its 5 s delay: wait that
  // out, with the load margin, so it cannot land in the next test's counters.
  await tabs[1].waitForTimeout(5000 * LOAD_MARGIN);
});

test('a tab holding an older token when the server rejects tokens early: every request succeeds after one more report, no raw 401s', async ({ openTab, server }) => {
  const [a, b] = [await openTab('/'), await openTab('/')];
  await login(a);
  expect(await fireCalls(a, 1)).toEqual({ ok: 1, errors: [] }); // tab a caches token 1
  // Tab b reports its token (the current one): the worker refreshes to token 2.
  const current = await b.evaluate(() => window.demo.broker.getAccessToken());
  await rawMessage(b, { ...envelope, id: 'x', type: 'refresh', failedToken: current });
  // The server now rejects every token issued so far, token 2 included.
  await server.expireAccessTokens();
  await server.reset();
  expect(await fireCalls(a, 10)).toEqual({ ok: 10, errors: [] });
  expect(await server.stats()).toMatchObject({ refreshes: 1, reuseDetected: 0 });
});

test.describe('sealed mode and redirects', () => {
  const sealedFetch = (page: Page, url: string, redirect: RequestRedirect = 'follow') =>
    page.evaluate(
      async ({ url, redirect }) => {
        try {
          const response = await fetch(url, { redirect });
          return { type: response.type, status: response.status };
        } catch (error) {
          return { error: String(error) };
        }
      },
      { url, redirect },
    );

  test('an allowlisted URL redirecting outside the allowlist: the token follows no hop, same-origin or cross-origin', async ({ openTab, request }) => {
    await resetForeignRecords();
    await request.post('/auth/test/echoes/reset');
    const page = await openTab('/sealed/');
    await login(page);
    expect(await fireCalls(page, 1)).toEqual({ ok: 1, errors: [] });
    // Same origin, outside the /api/ prefix.
    expect(await sealedFetch(page, '/api/test/redirect?to=/auth/test/echo')).toMatchObject({ error: expect.stringContaining('TypeError') });
    // Another origin.
    expect(await sealedFetch(page, `/api/test/redirect?to=${encodeURIComponent(`${FOREIGN_ORIGIN}/collect`)}`)).toMatchObject({ error: expect.stringContaining('TypeError') });
    // A page that asks for manual redirects gets the redirect itself.
    expect(await sealedFetch(page, '/api/test/redirect?to=/auth/test/echo', 'manual')).toMatchObject({ type: 'opaqueredirect', status: 0 });
    const echoes = (await (await request.get('/auth/test/echoes')).json()) as Array<{ authorization: string | null }>;
    expect(echoes.every((e) => e.authorization === null)).toBe(true);
    expect((await foreignRecords()).every((r) => r.headers.authorization === undefined)).toBe(true);
    // The page's own unsigned request to the same URL (outside the allowlist) goes through, bare.
    expect(await sealedFetch(page, '/auth/test/echo')).toMatchObject({ status: 200 });
    const after = (await (await request.get('/auth/test/echoes')).json()) as Array<{ authorization: string | null }>;
    expect(after.at(-1)).toEqual({ authorization: null });
  });
});
