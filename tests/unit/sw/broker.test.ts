import { describe, expect, it } from 'vitest';
import { inMemoryLocks } from '../../../sw/lock.js';
import { memoryStore, type SessionStore, type StoredSession } from '../../../sw/store.js';
import { loggedIn, makeBroker, ScriptedEndpoint } from '../helpers.js';
import type { TokenResult } from '../../../protocol/index.js';

/** The token a result carries (handoff), or undefined (sealed). */
const tokenOf = (result: TokenResult) => ('accessToken' in result ? result.accessToken : undefined);

const credentials = { username: 'demo', password: 'demo' };

describe('single-flight refresh', () => {
  it('gives 100 concurrent getToken calls at expiry one refresh and the same new token', async () => {
    const { broker, endpoint, clock } = await loggedIn();
    clock.now += 61_000;
    const results = await Promise.all(Array.from({ length: 100 }, () => broker.getToken()));
    expect(endpoint.refreshCalls).toHaveLength(1);
    expect(new Set(results.map(tokenOf))).toEqual(new Set(['access-2']));
  });

  it('does not refresh for a stale 401: a page that reports an old token gets the newer one', async () => {
    const { broker, endpoint, clock } = await loggedIn();
    clock.now += 61_000;
    await broker.getToken();
    expect(endpoint.refreshCalls).toHaveLength(1);
    const result = await broker.refresh({ failedToken: 'access-1' });
    expect(tokenOf(result)).toBe('access-2');
    expect(endpoint.refreshCalls).toHaveLength(1);
  });

  it('refreshes once for 50 concurrent 401s on the current token', async () => {
    const { broker, endpoint } = await loggedIn();
    const results = await Promise.all(Array.from({ length: 50 }, () => broker.refresh({ failedToken: 'access-1' })));
    expect(endpoint.refreshCalls).toEqual(['refresh-1']);
    expect(new Set(results.map(tokenOf))).toEqual(new Set(['access-2']));
  });

  it('names a token by generation in sealed mode and never returns the token itself', async () => {
    const { broker, endpoint } = await loggedIn({ mode: 'sealed' });
    const first = await broker.refresh({ failedGeneration: 1 });
    expect(tokenOf(first)).toBeUndefined();
    expect(first).not.toHaveProperty('accessToken');
    expect(first.generation).toBe(2);
    await broker.refresh({ failedGeneration: 1 });
    expect(endpoint.refreshCalls).toHaveLength(1);
  });

  it('serialises two worker versions sharing the store and the lock: one refresh, no reuse', async () => {
    const store = memoryStore();
    const locks = inMemoryLocks();
    const endpoint = new ScriptedEndpoint();
    const clock = { now: 1_000_000 };
    const older = makeBroker({ store, locks, endpoint, clock });
    const newer = makeBroker({ store, locks, endpoint, clock });
    await older.broker.login(credentials);
    clock.now += 61_000;
    const results = await Promise.all([
      ...Array.from({ length: 10 }, () => older.broker.getToken()),
      ...Array.from({ length: 10 }, () => newer.broker.getToken()),
    ]);
    expect(endpoint.refreshCalls).toEqual(['refresh-1']);
    expect(new Set(results.map(tokenOf))).toEqual(new Set(['access-2']));
  });
});

describe('rotation order', () => {
  it('persists the rotated refresh token before any page gets the new access token', async () => {
    const writes: StoredSession[] = [];
    const inner = memoryStore();
    const store: SessionStore = { ...inner, write: async (s) => (writes.push(s), inner.write(s)) };
    const { broker, clock } = await loggedIn({ store });
    clock.now += 61_000;
    const result = await broker.getToken();
    expect(writes.at(-1)).toMatchObject({ refreshToken: 'refresh-2', accessToken: result.accessToken, generation: 2 });
  });

  it('keeps the rotated session in memory when it cannot be stored, and never sends the spent refresh token again', async () => {
    const inner = memoryStore();
    let failWrites = false;
    const store: SessionStore = {
      ...inner,
      write: async (s) => {
        if (failWrites) throw new Error('QuotaExceededError');
        return inner.write(s);
      },
    };
    const { broker, clock, endpoint, events } = await loggedIn({ store });
    failWrites = true;
    clock.now += 61_000;
    expect(await broker.getToken()).toMatchObject({ accessToken: 'access-2', generation: 2 });
    expect(events.map((e) => e.event)).toEqual(['login', 'storage-failed', 'refreshed']);
    expect(events[1].reason).toBe(
      "The session could not be written to storage (Error: QuotaExceededError); the session is kept in the service worker's memory and the write is retried on the next request (a stopped worker loses it)",
    );
    expect(await broker.status()).toMatchObject({ loggedIn: true, persisted: false, generation: 2 });
    // The spent record was removed, so a restarted worker cannot present refresh-1.
    expect(await inner.read()).toBeUndefined();
    clock.now += 61_000;
    expect(await broker.getToken()).toMatchObject({ accessToken: 'access-3' });
    expect(endpoint.refreshCalls).toEqual(['refresh-1', 'refresh-2']);
    failWrites = false;
    clock.now += 1_000;
    expect(await broker.status()).toMatchObject({ persisted: true });
    expect(await inner.read()).toMatchObject({ refreshToken: 'refresh-3', generation: 3 });
  });

  it('keeps the refresh token when the server does not rotate', async () => {
    const endpoint = new ScriptedEndpoint();
    const { broker, store, clock } = await loggedIn({ endpoint });
    endpoint.refresh = async () => ({ accessToken: 'access-x', expiresInSeconds: 60 });
    clock.now += 61_000;
    await broker.getToken();
    expect((await store.read())?.refreshToken).toBe('refresh-1');
  });
});

describe('refresh outcomes', () => {
  it('ends the session on a rejected grant: store cleared, every caller and every tab told', async () => {
    const { broker, endpoint, store, events, clock } = await loggedIn();
    endpoint.next = 'reject';
    clock.now += 61_000;
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => broker.getToken()));
    for (const result of results) expect(result).toMatchObject({ status: 'rejected', reason: { code: 'session-ended' } });
    expect(await store.read()).toBeUndefined();
    expect(events.filter((e) => e.event === 'session-ended')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ event: 'session-ended', status: { loggedIn: false }, reason: 'scripted invalid_grant' });
    await expect(broker.getToken()).rejects.toMatchObject({ code: 'session-ended', message: 'scripted invalid_grant' });
  });

  it('keeps the session when the endpoint is unavailable, and refreshes after recovery without a new login', async () => {
    const { broker, endpoint, store, events, clock } = await loggedIn();
    endpoint.next = 'unavailable';
    clock.now += 61_000;
    const error = await broker.getToken().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'refresh-unavailable', retryable: true });
    expect((await store.read())?.refreshToken).toBe('refresh-1');
    expect(events.some((e) => e.event === 'session-ended')).toBe(false);
    endpoint.next = 'ok';
    // Within the cool-down (1 s after a first failure) nothing is sent.
    await expect(broker.getToken()).rejects.toMatchObject({ code: 'refresh-unavailable', details: { retryAt: clock.now + 1000 } });
    expect(endpoint.refreshCalls).toHaveLength(1);
    clock.now += 1000;
    expect((await broker.getToken()).accessToken).toBe('access-2');
    expect(endpoint.loginCalls).toBe(1);
  });

  it('turns an unexpected adapter exception into refresh-unavailable and keeps the session', async () => {
    const endpoint = new ScriptedEndpoint();
    const { broker, store, clock } = await loggedIn({ endpoint });
    endpoint.refresh = async () => {
      throw new Error('bug in a mapping function');
    };
    clock.now += 61_000;
    await expect(broker.getToken()).rejects.toMatchObject({ code: 'refresh-unavailable' });
    expect(await store.read()).toBeDefined();
  });

  it('bounds the wait for the refresh lock', async () => {
    const locks = inMemoryLocks();
    const { broker, endpoint, clock } = await loggedIn({ locks, lockTimeoutMs: 50 });
    let release!: () => void;
    const held = locks('sw-token-broker:test', 1000, () => new Promise<void>((resolve) => (release = resolve)));
    clock.now += 61_000;
    await expect(broker.getToken()).rejects.toMatchObject({ code: 'refresh-unavailable', message: expect.stringContaining('lock') });
    expect(endpoint.refreshCalls).toHaveLength(0);
    release();
    await held;
    expect((await broker.getToken()).accessToken).toBe('access-2');
  });

  it('tells every tab about a refresh', async () => {
    const { broker, events, clock } = await loggedIn();
    clock.now += 61_000;
    await broker.getToken();
    expect(events.map((e) => e.event)).toEqual(['login', 'refreshed']);
    expect(events[1].status).toMatchObject({ loggedIn: true, generation: 2 });
  });
});

describe('login, logout and status', () => {
  it('rejects wrong credentials with login-failed and keeps no session', async () => {
    const { broker } = makeBroker();
    await expect(broker.login({ username: 'demo', password: 'nope' })).rejects.toMatchObject({ code: 'login-failed' });
    expect(await broker.status()).toMatchObject({ loggedIn: false, accessExpiresAt: null });
  });

  it('revokes, clears and tells every tab on logout', async () => {
    const { broker, endpoint, store, events } = await loggedIn();
    await broker.logout();
    // Revocation runs after the reply, under waitUntil (whenIdle).
    await broker.whenIdle();
    expect(endpoint.revoked).toEqual(['refresh-1']);
    expect(await store.read()).toBeUndefined();
    expect(events.map((e) => e.event)).toEqual(['login', 'logged-out', 'revoked']);
    expect(events[2].reason).toBe('The refresh token of the logged-out session was revoked at the server');
  });

  it('still logs out when the revocation endpoint fails', async () => {
    const endpoint = new ScriptedEndpoint();
    endpoint.revoke = async () => {
      throw new Error('down');
    };
    const { broker, store } = await loggedIn({ endpoint });
    await broker.logout();
    expect(await store.read()).toBeUndefined();
  });

  it('reports status without refreshing, and never includes a token', async () => {
    const { broker, endpoint, clock } = await loggedIn();
    clock.now += 120_000;
    const status = await broker.status();
    expect(endpoint.refreshCalls).toHaveLength(0);
    expect(status).toEqual({ loggedIn: true, accessExpiresAt: 1_060_000, generation: 1, mode: 'handoff', refreshRetryAt: null, workerStartedAt: 1_000_000, persisted: true, dpopBound: false, claims: null, session: expect.stringMatching(/^sid:[0-9a-f-]{36}$/), sessionExpiresAt: null, idleExpiresAt: null });
    expect(JSON.stringify(status)).not.toMatch(/refresh-|access-/);
  });
});

describe('after the session ended', () => {
  it('answers a late 401 report and every token request with the same session-ended, until a logout or a login', async () => {
    const { broker, endpoint } = await loggedIn();
    endpoint.next = 'reject';
    await expect(broker.refresh({ failedToken: 'access-1' })).rejects.toMatchObject({ code: 'session-ended' });
    await expect(broker.refresh({ failedToken: 'access-1' })).rejects.toMatchObject({ code: 'session-ended', message: 'scripted invalid_grant' });
    // Not "not logged in": a request queued in another tab must not go out bare as if nobody had logged in.
    await expect(broker.getToken()).rejects.toMatchObject({ code: 'session-ended', message: 'scripted invalid_grant' });
    expect(endpoint.refreshCalls).toHaveLength(1);
    await broker.logout();
    await expect(broker.getToken()).rejects.toMatchObject({ code: 'not-logged-in' });
  });
});
