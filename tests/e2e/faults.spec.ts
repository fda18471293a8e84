/**
 * Faults that must never cost the session, in a real browser against the mock server: a
 * session write that fails, a device clock an hour off, the refresh lock stolen by page
 * script, a server that ignores DPoP, an access token with CR/LF, a login after a
 * cool-down, a session record replaced by page script. Every test ends with the server's
 * reuse counter at 0.
 */
import type { Page } from '@playwright/test';
import { expect, fireCalls, login, stopWorkers, test } from './fixtures.js';

/** The broker events a tab received, as `event: reason`. */
async function recordEvents(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const seen: string[] = ((window as any).__events = []);
    for (const type of ['login', 'refreshed', 'logged-out', 'session-ended', 'storage-failed', 'subject-changed'] as const) {
      window.demo.broker.on(type, (event) => seen.push(`${type}: ${event.reason ?? ''}`));
    }
  });
  return () => page.evaluate(() => [...(window as any).__events] as string[]);
}

/**
 * Makes every write to the broker's object store throw (DataError) while reads still
 * work: the store is recreated with an in-line key path, holding the session under its
 * key, while no page and no worker has the database open (a version change waits for
 * every open connection). Then the tab goes back to `path`.
 */
async function breakSessionWrites(page: Page, path: string, database: string): Promise<void> {
  // A same-origin page without the broker: nothing wakes the worker while the database is changed.
  await page.goto('/auth/config');
  await stopWorkers(page);
  await page.evaluate(async (name) => {
    const request = <T>(r: IDBRequest<T>) => new Promise<T>((resolve, reject) => ((r.onsuccess = () => resolve(r.result)), (r.onerror = () => reject(r.error))));
    const db = await request(indexedDB.open(name));
    const session = await request(db.transaction('kv').objectStore('kv').get('session'));
    const version = db.version;
    db.close();
    const upgrade = indexedDB.open(name, version + 1);
    upgrade.onupgradeneeded = () => {
      upgrade.result.deleteObjectStore('kv');
      // put(value, key) on a store with an in-line key path throws: every write of idb-keyval fails.
      upgrade.result.createObjectStore('kv', { keyPath: 'storedUnder' }).put({ ...session, storedUnder: 'session' });
    };
    (await request(upgrade)).close();
  }, database);
  await page.goto(path);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
}

for (const { mode, path, database } of [
  { mode: 'handoff', path: '/', database: 'sw-token-broker:demo' },
  { mode: 'sealed', path: '/sealed/', database: 'sw-token-broker:demo-sealed' },
]) {
  test(`${mode}: a session write that fails after rotations keeps the session in memory, with no reuse at the server; a login then is revoked and says storage-failed`, async ({ openTab, server }) => {
    const page = await openTab(path);
    await login(page);
    await breakSessionWrites(page, path, database);
    const events = await recordEvents(page);
    for (const round of [1, 2]) {
      await server.expireAccessTokens();
      expect(await fireCalls(page, 5), `round ${round}`).toEqual({ ok: 5, errors: [] });
    }
    expect(await server.stats()).toMatchObject({ logins: 1, refreshes: 2, reuseDetected: 0, refreshesRejected: 0 });
    expect(await page.evaluate(() => window.demo.broker.status())).toMatchObject({ loggedIn: true, persisted: false, generation: 3 });
    const told = (await events()).filter((line) => line.startsWith('storage-failed'));
    expect(told.length).toBeGreaterThanOrEqual(1);
    expect(told[0]).toMatch(/^storage-failed: The session could not be written to storage \(DataError: .*\); the session is kept in the service worker's memory/);

    // A login whose session cannot be stored is revoked at the server, and says why.
    await page.evaluate(() => window.demo.broker.logout());
    // The logout revokes the session kept in memory, in the background.
    await expect.poll(async () => (await server.stats()).revocations).toBe(1);
    const revokedBefore = 1;
    const error = await page.evaluate(() =>
      window.demo.broker.login({ username: 'demo', password: 'demo' }).then(
        () => null,
        (e: { code?: string; message?: string }) => ({ code: e.code, message: e.message }),
      ),
    );
    expect(error).toMatchObject({ code: 'storage-failed', message: expect.stringContaining('The new session was revoked at the server') });
    await expect.poll(async () => (await server.stats()).revocations).toBe(revokedBefore + 1);
    expect(await page.evaluate(() => window.demo.broker.status())).toMatchObject({ loggedIn: false });
    expect((await server.stats()).reuseDetected).toBe(0);
  });
}

for (const { clock, offsetMs } of [
  { clock: 'an hour ahead of', offsetMs: -3_600_000 },
  { clock: 'an hour behind', offsetMs: 3_600_000 },
]) {
  test(`a device clock ${clock} the server's, with only a JWT exp (no expires_in): 20 requests, no refresh, a 30-second lifetime`, async ({ openTab, server }) => {
    // The server writes its JWT claims with a clock off by an hour: to the worker, exactly a device clock off the other way.
    await server.setQuirks({ jwtAccessTokens: true, omitExpiresIn: true, jwtClockOffsetMs: offsetMs });
    const page = await openTab('/');
    await login(page);
    const status = await page.evaluate(() => window.demo.broker.status());
    expect(status.accessExpiresAt! - Date.now()).toBeGreaterThan(0);
    expect(status.accessExpiresAt! - Date.now()).toBeLessThanOrEqual(30_000);
    await server.reset();
    const results = await page.evaluate(async () => {
      let ok = 0;
      for (let i = 0; i < 20; i++) if ((await window.demo.api.get('/api/data')).status === 200) ok++;
      return ok;
    });
    expect(results).toBe(20);
    expect(await server.stats()).toMatchObject({ refreshes: 0, api401: 0, reuseDetected: 0 });
  });
}

test('page script that steals the refresh lock mid-refresh: the refresh answer is used, no second refresh, no reuse', async ({ openTab, server }) => {
  const first = await openTab('/');
  const second = await openTab('/');
  await login(first);
  await server.setRefreshDelay(1_500);
  await server.expireAccessTokens();
  await server.reset();
  const firstCalls = fireCalls(first, 5);
  // Wait until the worker holds the lock for the refresh, then steal it, as any script of the origin can.
  await first.evaluate(async () => {
    const held = async () => ((await navigator.locks.query()).held ?? []).some((lock) => lock.name === 'sw-token-broker:demo');
    for (const deadline = Date.now() + 10_000; !(await held()); ) {
      if (Date.now() > deadline) throw new Error('the worker never held the refresh lock');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await navigator.locks.request('sw-token-broker:demo', { steal: true }, () => new Promise((resolve) => setTimeout(resolve, 50)));
  });
  // Another tab's 401s, while the stolen refresh is still on the wire.
  const secondCalls = fireCalls(second, 5);
  expect(await firstCalls).toEqual({ ok: 5, errors: [] });
  expect(await secondCalls).toEqual({ ok: 5, errors: [] });
  expect(await server.stats()).toMatchObject({ refreshes: 1, reuseDetected: 0 });
});

test('DPoP against a server that ignores it: the login is refused as misconfigured and its tokens revoked, nothing unbound is stored', async ({ openTab, server }) => {
  await server.setQuirks({ ignoreDpop: true });
  const page = await openTab('/dpop/');
  const error = await page.evaluate(() =>
    window.demo.broker.login({ username: 'demo', password: 'demo' }).then(
      () => null,
      (e: { code?: string; message?: string; details?: unknown }) => ({ code: e.code, message: e.message, details: e.details }),
    ),
  );
  expect(error).toMatchObject({ code: 'misconfigured', details: { error: 'dpop_not_bound', errorDescription: 'token_type "Bearer"' } });
  expect(error!.message).toMatch(/^DPoP is configured, but the token endpoint answered with token_type "Bearer": its tokens are not bound to the worker's key/);
  await expect.poll(async () => (await server.stats()).revocations).toBe(1);
  expect(await page.evaluate(() => window.demo.broker.status())).toMatchObject({ loggedIn: false });

  // The same server binding its tokens again: the session says it is bound.
  await server.setQuirks({ ignoreDpop: false });
  await login(page);
  expect(await page.evaluate(() => window.demo.broker.status())).toMatchObject({ loggedIn: true, dpopBound: true });
  expect(await fireCalls(page, 2)).toEqual({ ok: 2, errors: [] });
  expect((await server.stats()).reuseDetected).toBe(0);
});

test('an access token with CR/LF is refused with a typed error naming it, its rotated refresh token kept: the next refresh does not reuse the old one', async ({ openTab, server }) => {
  const page = await openTab('/');
  await login(page);
  await server.setQuirks({ accessTokenSuffix: '\r\n' });
  await server.expireAccessTokens();
  await server.reset();
  const refused = await fireCalls(page, 3);
  expect(refused.ok).toBe(0);
  for (const error of refused.errors) {
    expect(error).toBe(
      "refresh-unavailable: The token endpoint response has no usable tokens: the access token has characters RFC 6750's b64token does not allow (it could not be sent in an Authorization header)",
    );
  }
  expect(await server.stats()).toMatchObject({ refreshes: 1 });
  await server.setQuirks({ accessTokenSuffix: '' });
  const status = await page.evaluate(() => window.demo.broker.status());
  // The cool-down after the refused answer (1 s), waited out as a page that read refreshRetryAt would.
  await page.waitForTimeout(Math.max(0, (status.refreshRetryAt ?? 0) - Date.now()) + 100);
  expect(await fireCalls(page, 3)).toEqual({ ok: 3, errors: [] });
  expect(await server.stats()).toMatchObject({ refreshes: 2, reuseDetected: 0, refreshesRejected: 0 });
});

test("a login after a refresh failed with Retry-After 60 s is not held back by the old cool-down: the new session refreshes at once", async ({ openTab, server }) => {
  const page = await openTab('/');
  await login(page);
  await server.setQuirks({ retryAfterSeconds: 60 });
  await server.setFault('503');
  await server.expireAccessTokens();
  const failed = await fireCalls(page, 2);
  expect(failed.ok).toBe(0);
  expect((await page.evaluate(() => window.demo.broker.status())).refreshRetryAt! - Date.now()).toBeGreaterThan(30_000);
  await server.setFault('none');
  await login(page);
  expect(await page.evaluate(() => window.demo.broker.status())).toMatchObject({ loggedIn: true, refreshRetryAt: null });
  await server.expireAccessTokens();
  await server.reset();
  expect(await fireCalls(page, 3)).toEqual({ ok: 3, errors: [] });
  expect(await server.stats()).toMatchObject({ refreshes: 1, reuseDetected: 0 });
});

test('a session record replaced by page script with another user\'s tokens is reported to every tab as subject-changed', async ({ openTab, server, request }) => {
  await server.setQuirks({ jwtAccessTokens: true });
  const victim = await openTab('/');
  const other = await openTab('/');
  await login(victim);
  const events = await recordEvents(other);
  // The attacker's own session, obtained outside the browser.
  const attacker = await (await request.post('/auth/login', { data: { username: 'alice', password: 'alice' } })).json();
  await victim.evaluate(
    ({ name, tokens }) =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open(name);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const store = open.result.transaction('kv', 'readwrite').objectStore('kv');
          const get = store.get('session');
          get.onsuccess = () => {
            const put = store.put({ ...get.result, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, subject: undefined }, 'session');
            put.onsuccess = () => resolve();
            put.onerror = () => reject(put.error);
          };
        };
      }),
    { name: 'sw-token-broker:demo', tokens: attacker },
  );
  await other.evaluate(() => window.demo.broker.status());
  await expect.poll(events).toContain(
    'subject-changed: The stored session is for another user than before, without a login: its record was replaced outside the broker',
  );
  expect((await server.stats()).reuseDetected).toBe(0);
});
