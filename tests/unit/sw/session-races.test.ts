/**
 * Rules 11, 12 and 15 in the worker: a request belongs to the session it was made in; a
 * session is deleted only if the store still holds it (compare-and-delete); a record that
 * vanished is told to every tab.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { identityOf } from '../../../sw/broker.js';
import { indexedDbStore, memoryStore, type StoredSession } from '../../../sw/store.js';
import { ScriptedEndpoint, loggedIn, makeBroker } from '../helpers.js';

const credentials = { username: 'demo', password: 'demo' };

const session = (refreshToken: string): StoredSession => ({
  version: 1,
  refreshToken,
  accessToken: `access-of-${refreshToken}`,
  accessExpiresAt: 2_000,
  accessIssuedAt: 1_000,
  generation: 1,
  sessionId: `id-${refreshToken}`,
});

describe('compare-and-delete (rule 12)', () => {
  for (const [name, makeStore] of [
    ['IndexedDB', () => indexedDbStore(`cad-${Math.random()}`)],
    ['memory', () => memoryStore()],
  ] as const) {
    it(`${name}: removes the session only while it still holds the one named`, async () => {
      const store = makeStore();
      await store.write(session('old'));
      await store.write(session('new')); // a login replaced it
      expect(await store.clearIf!('old')).toBe(false);
      expect((await store.read())?.refreshToken).toBe('new');
      expect(await store.clearIf!('new')).toBe(true);
      expect(await store.read()).toBeUndefined();
      expect(await store.clearIf!('new')).toBe(false);
    });
  }

  it('a refused refresh of a session that a login replaced meanwhile keeps the new login, tells nobody it ended, and fails its callers session-changed', async () => {
    const endpoint = new ScriptedEndpoint();
    const { broker, events, clock } = await loggedIn({ endpoint });
    endpoint.next = 'hang';
    clock.now += 120_000; // due
    const refresh = broker.refresh({ failedToken: 'access-1' }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 5));
    endpoint.next = 'ok';
    const second = await broker.login(credentials); // B logs in while A's refresh is out
    // The server refuses A's (revoked) refresh token.
    endpoint.next = 'reject';
    endpoint.release();
    expect(await refresh).toMatchObject({ code: 'session-changed' });
    const status = await broker.status();
    expect(status).toMatchObject({ loggedIn: true, generation: second.generation, session: second.session });
    expect(events.map((e) => e.event)).not.toContain('session-ended');
    // The new session still works.
    expect((await broker.getToken()).accessToken).toBe('access-2');
  });

  it('a refused refresh of the session still stored ends it, as before', async () => {
    const endpoint = new ScriptedEndpoint();
    const { broker, events } = await loggedIn({ endpoint });
    endpoint.next = 'reject';
    await expect(broker.refresh({ failedToken: 'access-1' })).rejects.toMatchObject({ code: 'session-ended' });
    expect((await broker.status()).loggedIn).toBe(false);
    expect(events.at(-1)?.event).toBe('session-ended');
  });
});

describe('a refused refresh is one session-ended', () => {
  it('a read while the refused record is being deleted does not take its deletion for a vanished record (seen in WebKit: a second, storage-cleared session-ended)', async () => {
    const endpoint = new ScriptedEndpoint();
    const base = memoryStore();
    // The delete of the refused session waits until the test lets it go.
    let letDelete: () => void = () => undefined;
    const deleting = new Promise<void>((resolve) => (letDelete = resolve));
    let entered: () => void = () => undefined;
    const deleteStarted = new Promise<void>((resolve) => (entered = resolve));
    const store = { ...base, clearIf: async (refreshToken: string) => (entered(), await deleting, base.clearIf!(refreshToken)) };
    const { broker, events } = await loggedIn({ endpoint, store });
    endpoint.next = 'reject';
    const refused = broker.refresh({ failedToken: 'access-1' }).catch((error: unknown) => error);
    await deleteStarted;
    // Another tab asks meanwhile: the record is still in the store.
    expect((await broker.status()).loggedIn).toBe(false);
    letDelete();
    expect(await refused).toMatchObject({ code: 'session-ended' });
    expect((await broker.status()).loggedIn).toBe(false);
    await expect(broker.getToken()).rejects.toMatchObject({ code: 'session-ended' });
    expect(events.filter((e) => e.event === 'session-ended').map((e) => e.details?.endedBy ?? 'refused')).toEqual(['refused']);
  });
});

describe('a request belongs to its session (rule 11)', () => {
  it('a 401 report made in a session that a login replaced gets session-changed, never the new token', async () => {
    const { broker } = await loggedIn();
    const first = await broker.getToken();
    await broker.login(credentials);
    await expect(broker.refresh({ failedToken: first.accessToken, session: first.session })).rejects.toMatchObject({ code: 'session-changed' });
  });

  it("a new session's refresh never joins the refresh of the session it replaced: it waits for it, then refreshes its own token", async () => {
    const endpoint = new ScriptedEndpoint();
    const { broker, clock } = await loggedIn({ endpoint });
    endpoint.next = 'hang';
    clock.now += 120_000;
    const old = broker.refresh({ failedToken: 'access-1' }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 5));
    endpoint.next = 'ok';
    const second = await broker.login(credentials); // access-2, refresh-2
    const report = broker.refresh({ failedToken: 'access-2', session: second.session! });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(endpoint.refreshCalls).toEqual(['refresh-1']); // one refresh at a time: it waits
    endpoint.release();
    expect(await report).toMatchObject({ refreshed: true, session: second.session });
    expect(endpoint.refreshCalls).toEqual(['refresh-1', 'refresh-2']);
    expect(await old).toMatchObject({ code: 'session-changed' });
  });

  it('a report without a session (an older page) still gets the newer token of the same session', async () => {
    const { broker, clock } = await loggedIn();
    clock.now += 120_000;
    const result = await broker.refresh({ failedToken: 'access-1' });
    expect(result).toMatchObject({ accessToken: 'access-2', refreshed: true });
    expect(result.session).toBe((await broker.status()).session);
  });

  it('a refresh keeps the identity of the session, also when its answer names no subject', async () => {
    const endpoint = new ScriptedEndpoint();
    const real = endpoint.login.bind(endpoint);
    endpoint.login = async (given) => ({ ...(await real(given)), subject: 'ada' });
    const { broker, clock } = await loggedIn({ endpoint });
    const before = (await broker.status()).session;
    expect(before).toBe('sub:ada');
    clock.now += 120_000;
    await broker.refresh({ failedToken: 'access-1', session: before! });
    expect((await broker.status()).session).toBe('sub:ada');
  });

  it('two logins without subjects are two sessions', async () => {
    const { broker } = await loggedIn();
    const first = (await broker.status()).session;
    await broker.login(credentials);
    expect((await broker.status()).session).not.toBe(first);
    expect(first).toMatch(/^sid:/);
  });

  it('identityOf names the user where known, else the login', () => {
    expect(identityOf({ ...session('x'), subject: 'ada' })).toBe('sub:ada');
    expect(identityOf(session('x'))).toBe('sid:id-x');
  });
});

describe('a vanished session record (rule 15)', () => {
  it('is told to every tab once as session-ended storage-cleared, and every request after gets that error', async () => {
    const { broker, store, events } = await loggedIn();
    await store.clear(); // the browser cleared site data
    await expect(broker.getToken()).rejects.toMatchObject({ code: 'session-ended', details: { endedBy: 'storage-cleared' } });
    await expect(broker.sealedToken()).rejects.toMatchObject({ code: 'session-ended', details: { endedBy: 'storage-cleared' } });
    expect(events.filter((e) => e.event === 'session-ended')).toEqual([
      expect.objectContaining({ details: { endedBy: 'storage-cleared' }, status: expect.objectContaining({ loggedIn: false }) }),
    ]);
  });

  it('a restarted worker learns it from a page that names the session it knew', async () => {
    const store = memoryStore();
    const { broker } = await loggedIn({ store });
    const known = (await broker.status()).session!;
    await store.clear();
    const restarted = makeBroker({ store });
    await expect(restarted.broker.getToken(known)).rejects.toMatchObject({ details: { endedBy: 'storage-cleared' } });
    expect(restarted.events.map((e) => e.event)).toEqual(['session-ended']);
  });

  it('a logout is not taken for a vanished record', async () => {
    const { broker, events } = await loggedIn();
    const known = (await broker.status()).session!;
    await broker.logout();
    await expect(broker.getToken(known)).rejects.toMatchObject({ code: 'not-logged-in' });
    expect(events.map((e) => e.event)).not.toContain('session-ended');
  });

  it('the IndexedDB store reports a connection the browser closed', async () => {
    const name = `closed-${Math.random()}`;
    const store = indexedDbStore(name);
    const closed: string[] = [];
    store.onClosed!(() => closed.push('closed'));
    await store.write(session('a'));
    // Another context deletes the database (as clearing site data does): the store steps aside and says so.
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase(`sw-token-broker:${name}`);
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
    });
    expect(closed).toEqual(['closed']);
    expect(await store.read()).toBeUndefined();
  });
});
