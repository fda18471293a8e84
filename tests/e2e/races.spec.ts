/**
 * Never the wrong user, never twice, never silently gone (rules 11, 12, 13 and 15): the
 * races and losses of issue 37, each in real Chromium against the demo server. Each of
 * these failed on the code before it (see the closing note of that issue).
 */
import type { BrowserContext, Page } from '@playwright/test';
import { queueRecords as readQueueRecords } from '../offline-queue-records.mjs';
import { expect, readWorkerSession, test } from './fixtures.js';

type Outcome = { status: number; queued?: string | null; user?: string; code?: string; message?: string };

/** One request through the page's axios instance: how it ended (a typed error's code, or the status and user). */
function call(page: Page, method: 'get' | 'post', path: string, body?: unknown, headers?: Record<string, string>): Promise<Outcome> {
  return page.evaluate(
    async ({ method, path, body, headers }) => {
      try {
        const response = method === 'get' ? await window.demo.api.get(path) : await window.demo.api.post(path, body, { headers });
        return { status: response.status, queued: (response.headers['x-sw-token-broker-queued'] as string | undefined) ?? null, user: (response.data as { user?: string })?.user ?? (response.data as { note?: { user: string } })?.note?.user };
      } catch (error) {
        const e = error as { response?: { status: number }; code?: string; message?: string };
        return { status: e.response?.status ?? 0, code: e.code, message: e.message };
      }
    },
    { method, path, body, headers },
  );
}

/** Records every broker event in the page (type, reason, request, details), to read back. */
async function recordEvents(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: unknown[] = [];
    (window as any).__events = seen;
    for (const type of ['login', 'refreshed', 'logged-out', 'session-ended', 'queued', 'requeued', 'replayed', 'dropped'] as const) {
      window.demo.broker.on(type, (event) => seen.push({ event: type, reason: event.reason, details: event.details ?? null, request: event.request ?? null }));
    }
  });
}
type Seen = { event: string; reason?: string; details: { endedBy?: string } | null; request: { id: string; dropReason?: string; count?: number; attempts?: number; idempotencyKey?: string; status?: number } | null };
const events = (page: Page) => page.evaluate(() => (window as any).__events as Seen[]);

const loginAs = (page: Page, user: 'demo' | 'alice') => page.evaluate((name) => window.demo.broker.login({ username: name, password: name }), user);
const queueRecords = (page: Page) => page.evaluate(readQueueRecords, "");

/** Deletes the origin's storage the way "clear site data" does (CDP `Storage.clearDataForOrigin`). */
async function clearSiteData(page: Page, storageTypes: string): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Storage.clearDataForOrigin', { origin: new URL(page.url()).origin, storageTypes });
  await cdp.detach();
}

test.describe('a request belongs to the session it was made in (rule 11)', () => {
  for (const tokens of ['opaque', 'JWT'] as const) {
    test(`a queued write replayed across another user's login is dropped other-user, never filed under that user (${tokens} tokens)`, async ({ openTab, server }) => {
      if (tokens === 'JWT') await server.setQuirks({ jwtAccessTokens: true });
      const [a, b] = [await openTab('/offline/'), await openTab('/offline/')];
      await loginAs(a, 'demo');
      await recordEvents(a);
      await server.setNetworkDown(true);
      expect((await call(a, 'post', '/api/notes', { text: 'written by demo' })).status).toBe(202);
      // The replay's token will be rejected (401) and the refresh that follows answered slowly, after the server rotated.
      await server.expireAccessTokens();
      await server.configure({ refreshAnswerDelayMs: 1500 });
      await server.setNetworkDown(false);
      // Asked until it goes out, as the page itself asks again while requests wait (a first
      // replay right after the network returns sometimes fails before it reaches the server).
      await expect.poll(async () => {
        await a.evaluate(() => void window.demo.broker.replayQueue());
        return (await server.stats()).refreshes;
      }).toBe(1);
      await loginAs(b, 'alice'); // meanwhile, another user logs in in another tab
      await a.evaluate(() => window.demo.broker.replayQueue());
      await expect.poll(async () => (await events(a)).filter((e) => e.event === 'dropped').map((e) => e.request?.dropReason)).toEqual(['other-user']);
      expect(await server.notes()).toEqual([]);
      // Alice's session is intact.
      expect(await call(b, 'get', '/api/data')).toMatchObject({ status: 200, user: 'alice' });
      expect((await server.stats()).reuseDetected).toBe(0);
    });
  }

  for (const path of ['/', '/sealed/'] as const) {
    test(`a request in flight across another user's login fails session-changed instead of coming back with that user's data (${path})`, async ({ openTab, server }) => {
      const [a, b] = [await openTab(path), await openTab(path)];
      await loginAs(a, 'demo');
      expect(await call(a, 'get', '/api/data')).toMatchObject({ status: 200, user: 'demo' });
      await server.expireAccessTokens();
      await server.configure({ refreshAnswerDelayMs: 1500 });
      const inFlight = call(a, 'get', '/api/data');
      await expect.poll(async () => (await server.stats()).refreshes).toBe(1);
      await loginAs(b, 'alice');
      const outcome = await inFlight;
      expect(outcome.user).toBeUndefined();
      expect(outcome.code).toBe('session-changed');
      expect(await call(b, 'get', '/api/data')).toMatchObject({ status: 200, user: 'alice' });
    });
  }
});

test.describe('a refused refresh clears only the session it refreshed (rule 12)', () => {
  for (const path of ['/', '/sealed/'] as const) {
    test(`a login made while the old session's refresh was out survives that refresh being refused (${path})`, async ({ openTab, server }) => {
      const [a, b] = [await openTab(path), await openTab(path)];
      await loginAs(a, 'demo');
      for (const tab of [a, b]) await recordEvents(tab);
      await server.expireAccessTokens();
      // Slow before the server looks at the token: the new login revokes it first, so the refresh is refused.
      await server.setRefreshDelay(1500);
      const inFlight = call(a, 'get', '/api/data');
      await expect.poll(async () => (await server.stats()).refreshesReceived).toBe(1);
      await loginAs(b, 'alice');
      const outcome = await inFlight;
      expect(outcome.user).toBeUndefined();
      expect(outcome.code).toBe('session-changed');
      expect(await server.stats()).toMatchObject({ refreshesRejected: 1 });
      // Nobody was told the session ended, and alice's session works in both tabs.
      for (const tab of [a, b]) {
        expect((await events(tab)).filter((e) => e.event === 'session-ended')).toEqual([]);
        expect(await tab.evaluate(() => window.demo.broker.status())).toMatchObject({ loggedIn: true });
      }
      expect(await call(b, 'get', '/api/data')).toMatchObject({ status: 200, user: 'alice' });
      expect(await call(a, 'get', '/api/data')).toMatchObject({ status: 200, user: 'alice' });
    });
  }
});

test.describe('writes are delivered once where the server honours Idempotency-Key (rule 13)', () => {
  test('a write the server applied whose answer was lost is queued and replayed with the same key: the server has it once', async ({ openTab, server }) => {
    const page = await openTab('/offline/');
    await loginAs(page, 'demo');
    await recordEvents(page);
    // Every answer lost for now: Chromium itself re-sends a POST whose reused connection closed
    // without an answer (seen: twice), each repeat with the same key, before the worker sees the failure.
    await server.configure({ loseWriteAnswers: 10 });
    expect((await call(page, 'post', '/api/notes', { text: 'exactly once' })).status).toBe(202);
    expect((await server.notes()).map((note) => note.text)).toEqual(['exactly once']);
    await server.configure({ loseWriteAnswers: 0 });
    await expect.poll(async () => {
      await page.evaluate(() => window.demo.broker.replayQueue());
      return (await events(page)).filter((e) => e.event === 'replayed').length;
    }).toBe(1);
    const notes = await server.notes();
    expect(notes.map((note) => note.text)).toEqual(['exactly once']);
    expect(notes[0].idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect((await server.stats()).writesDeduplicated).toBeGreaterThanOrEqual(1);
    const replayed = (await events(page)).find((e) => e.event === 'replayed')!;
    expect(replayed.request).toMatchObject({ idempotencyKey: notes[0].idempotencyKey, status: 201 });
  });

  test('a replay whose answer was lost is told (requeued), sent again with the same key, and the server has it once', async ({ openTab, server }) => {
    const page = await openTab('/offline/');
    await loginAs(page, 'demo');
    await recordEvents(page);
    await server.setNetworkDown(true);
    expect((await call(page, 'post', '/api/notes', { text: 'replayed once' })).status).toBe(202);
    // The replay reaches the server, which applies it; its answer is lost (and those of Chromium's own repeats).
    await server.configure({ loseWriteAnswers: 10 });
    await server.setNetworkDown(false);
    await expect.poll(async () => {
      await page.evaluate(() => window.demo.broker.replayQueue());
      return (await server.notes()).length;
    }).toBe(1);
    await expect.poll(async () => (await events(page)).filter((e) => e.event === 'requeued').length).toBe(1);
    await server.configure({ loseWriteAnswers: 0 });
    await expect.poll(async () => {
      await page.evaluate(() => window.demo.broker.replayQueue());
      return (await events(page)).filter((e) => e.event === 'replayed').length;
    }).toBe(1);
    expect((await server.notes()).map((note) => note.text)).toEqual(['replayed once']);
    expect((await server.stats()).writesDeduplicated).toBeGreaterThanOrEqual(1);
    const seen = (await events(page)).filter((e) => e.request);
    expect(seen.map((e) => e.event)).toEqual(['queued', 'requeued', 'replayed']);
    expect(seen[2].request!.attempts).toBeGreaterThan(seen[1].request!.attempts!);
  });
});

test.describe('storage loss is told, not hidden (rule 15)', () => {
  test('clearing the origin IndexedDB ends the session in every tab (storage-cleared); no request goes out with a cached token or bare', async ({ openTab, server }) => {
    const tabs = [await openTab('/'), await openTab('/'), await openTab('/sealed/')];
    await loginAs(tabs[0], 'demo');
    await loginAs(tabs[2], 'demo');
    for (const tab of tabs) {
      await recordEvents(tab);
      expect(await call(tab, 'get', '/api/data')).toMatchObject({ status: 200 });
    }
    await clearSiteData(tabs[0], 'indexeddb');
    for (const tab of tabs) {
      await expect.poll(async () => (await events(tab)).filter((e) => e.event === 'session-ended').map((e) => e.details?.endedBy)).toEqual(['storage-cleared']);
    }
    const before = await server.stats();
    for (const tab of tabs) {
      expect(await tab.evaluate(() => window.demo.broker.status())).toMatchObject({ loggedIn: false });
      expect(await call(tab, 'get', '/api/data')).toMatchObject({ code: 'session-ended' });
    }
    // Nothing reached the API: neither a cached token nor a bare request meant to carry one.
    expect((await server.stats()).apiCalls).toBe(before.apiCalls);
  });

  test('the offline queue reports what a storage loss took and keeps working without a worker restart', async ({ openTab, server }) => {
    const page = await openTab('/offline/');
    await loginAs(page, 'demo');
    await recordEvents(page);
    await server.setNetworkDown(true);
    for (const text of ['lost 1', 'lost 2']) expect((await call(page, 'post', '/api/notes', { text })).status).toBe(202);
    await clearSiteData(page, 'indexeddb');
    await expect.poll(async () => (await events(page)).filter((e) => e.event === 'session-ended').length).toBe(1);
    await server.setNetworkDown(false);
    await loginAs(page, 'demo');
    await server.setNetworkDown(true);
    expect((await call(page, 'post', '/api/notes', { text: 'kept' })).status).toBe(202);
    await expect.poll(async () => (await events(page)).filter((e) => e.request?.dropReason === 'storage-cleared').map((e) => e.request!.count)).toEqual([2]);
    await server.setNetworkDown(false);
    await expect.poll(async () => {
      await page.evaluate(() => window.demo.broker.replayQueue());
      return (await server.notes()).map((note) => note.text);
    }).toEqual(['kept']);
  });

  test('a worker unregistered by clearing site data is noticed by every tab: sw-unregistered, not a 25 s timeout', async ({ openTab }) => {
    const tabs = [await openTab('/'), await openTab('/')];
    await loginAs(tabs[0], 'demo');
    await clearSiteData(tabs[0], 'all');
    for (const tab of tabs) {
      const started = Date.now();
      const outcome = await tab.evaluate(() => window.demo.broker.status().then(() => 'answered', (error: { code?: string }) => error.code));
      expect(outcome).toBe('sw-unregistered');
      // Far below the message timeout (25 s): the bound is the code's own check interval, with a wide margin.
      expect(Date.now() - started).toBeLessThan(20_000);
    }
  });

  test("a foreign worker that takes the broker's scope (as Angular's ngsw does) is named in every tab within seconds: sw-foreign, no request sent, and a reload brings the broker and its session back", async ({ openTab, server }) => {
    const tabs = [await openTab('/'), await openTab('/')];
    await loginAs(tabs[0], 'demo');
    for (const tab of tabs) expect(await tab.evaluate(() => window.demo.api.get('/api/data').then((r) => r.status))).toBe(200);
    const errors: string[] = [];
    for (const tab of tabs) tab.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    await tabs[0].evaluate(() => navigator.serviceWorker.register('/auth/test/foreign-sw.js', { scope: '/' }).then(() => undefined));
    // Every tab learns it by itself (no call needed): the session view turns logged-out.
    for (const tab of tabs) await expect.poll(() => tab.evaluate(() => window.demo.broker.getSnapshot().state), { timeout: 15_000 }).toBe('logged-out');
    const callsBefore = (await server.stats()).apiCalls;
    for (const tab of tabs) {
      const started = Date.now();
      const failed = await tab.evaluate(() => window.demo.api.get('/api/data').then(() => null, (error: { code?: string; message?: string; details?: { url?: string } }) => ({ code: error.code, url: error.details?.url, message: error.message })));
      expect(failed).toMatchObject({ code: 'sw-foreign', url: expect.stringContaining('/auth/test/foreign-sw.js') });
      expect(failed?.message).toContain('/sw.js');
      // At once, not after the message timeout (25 s).
      expect(Date.now() - started).toBeLessThan(10_000);
    }
    // Not sent: with the old token or bare.
    expect((await server.stats()).apiCalls).toBe(callsBefore);
    expect(errors.filter((text) => text.includes('foreign-sw.js'))).toHaveLength(2);

    // The page registers the broker again at load: it takes the scope back, and the session was kept in IndexedDB.
    await tabs[1].reload();
    await expect.poll(() => tabs[1].evaluate(() => (window as { demo?: typeof window.demo }).demo?.broker?.getSnapshot().state), { timeout: 30_000 }).toBe('logged-in');
    expect(await tabs[1].evaluate(() => window.demo.api.get('/api/data').then((r) => r.status))).toBe(200);
  });
});

test.describe('the offline queue keeps its bounds and stores no token', () => {
  test('maxEntries holds under 300 concurrent writes, and the drops are told in one event per burst with a count', async ({ openTab, server }) => {
    const page = await openTab('/offline/');
    await loginAs(page, 'demo');
    await recordEvents(page);
    await server.setNetworkDown(true);
    const statuses = await page.evaluate(() =>
      Promise.all(Array.from({ length: 300 }, (_, i) => window.demo.api.post('/api/notes', { text: `w${i}` }).then((r) => r.status, () => 0))),
    );
    expect(statuses.filter((status) => status === 202)).toHaveLength(20);
    expect(statuses.filter((status) => status === 0)).toHaveLength(280);
    expect(await queueRecords(page)).toHaveLength(20);
    await expect.poll(async () => (await events(page)).filter((e) => e.request?.dropReason === 'full').reduce((sum, e) => sum + (e.request!.count ?? 1), 0)).toBe(280);
    expect((await events(page)).filter((e) => e.request?.dropReason === 'full').length).toBeLessThanOrEqual(5);
  });

  test('a write carrying the access token in its body is not stored (dropped: contains-token); an X-Api-Key header the worker is told of is removed', async ({ context, openTab, server }) => {
    const page = await openTab('/offline/');
    await loginAs(page, 'demo');
    await recordEvents(page);
    const { accessToken, refreshToken } = await readWorkerSession(context as BrowserContext, 'sw-token-broker:demo-offline', '/offline/sw.js');
    await server.setNetworkDown(true);
    expect((await call(page, 'post', '/api/notes', { text: 'mine', token: accessToken })).status).toBe(0);
    expect((await call(page, 'post', '/api/notes', { text: 'with key' }, { 'X-Api-Key': accessToken })).status).toBe(202);
    await expect.poll(async () => (await events(page)).filter((e) => e.event === 'dropped').map((e) => e.request?.dropReason)).toEqual(['contains-token']);
    // Polled: a replay attempt (Chromium's sync event fires at once, the network being up) takes the
    // record out while it tries and puts it back when the send fails (workbox-background-sync's
    // shift and unshift), so a single read can find the store empty for a moment.
    await expect.poll(async () => (await queueRecords(page)).join('\n')).toContain('with key');
    const records = (await queueRecords(page)).join('\n');
    for (const token of [accessToken, refreshToken]) expect(records).not.toContain(token);
  });
});
