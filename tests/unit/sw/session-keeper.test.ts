/** sw/store.ts and sw/session-keeper.ts: the session record across worker restarts, and writes that fail. */
import { describe, expect, it } from 'vitest';
import { indexedDbStore, memoryStore, type SessionStore, type StoredSession } from '../../../sw/store.js';
import { loggedIn, makeBroker, ScriptedEndpoint } from '../helpers.js';

const credentials = { username: 'demo', password: 'demo' };

/** A memory store whose writes fail while `failing` is set. */
function flakyStore() {
  const inner = memoryStore();
  const control = { failing: false, inner };
  const store: SessionStore = {
    ...inner,
    write: async (session) => {
      if (control.failing) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return inner.write(session);
    },
  };
  return { store, control };
}

describe('storage', () => {
  it('keeps the session in IndexedDB across broker instances (a worker restart)', async () => {
    const name = `restart-${Math.random()}`;
    const store = indexedDbStore(name);
    const endpoint = new ScriptedEndpoint();
    await makeBroker({ store, endpoint }).broker.login(credentials);
    const again = makeBroker({ store: indexedDbStore(name), endpoint });
    expect(await again.broker.status()).toMatchObject({ loggedIn: true, generation: 1 });
    expect((await again.broker.getToken()).accessToken).toBe('access-1');
  });

  it('keeps two brokers on one origin apart (one database per name)', async () => {
    const endpoint = new ScriptedEndpoint();
    const a = makeBroker({ store: indexedDbStore(`a-${Math.random()}`), endpoint });
    const b = makeBroker({ store: indexedDbStore(`b-${Math.random()}`), endpoint });
    await a.broker.login(credentials);
    expect(await b.broker.status()).toMatchObject({ loggedIn: false });
  });

  it('treats a stored record of another version as no session', async () => {
    const store = indexedDbStore(`v-${Math.random()}`);
    await store.write({ version: 99 } as unknown as StoredSession);
    expect(await store.read()).toBeUndefined();
  });

  it('behaves the same with memory storage', async () => {
    const { broker, endpoint, clock } = await loggedIn({ storage: 'memory' });
    clock.now += 61_000;
    await Promise.all(Array.from({ length: 20 }, () => broker.getToken()));
    expect(endpoint.refreshCalls).toHaveLength(1);
  });
});

describe('a session write that fails', () => {
  it('after a rotation keeps the new session: 20 requests later the server saw no reused refresh token', async () => {
    const { store, control } = flakyStore();
    const { broker, endpoint, clock } = await loggedIn({ store });
    control.failing = true;
    for (let i = 0; i < 20; i++) {
      clock.now += 61_000;
      await broker.getToken();
    }
    // Each refresh used the token the one before it issued: a reuse would have thrown session-ended.
    expect(endpoint.refreshCalls).toEqual(Array.from({ length: 20 }, (_, i) => `refresh-${i + 1}`));
    expect(await broker.status()).toMatchObject({ loggedIn: true, persisted: false, generation: 21 });
  });

  it('at login revokes the session the server created and says so with storage-failed, not internal', async () => {
    const { store, control } = flakyStore();
    control.failing = true;
    const { broker, endpoint, events } = makeBroker({ store });
    const error = await broker.login(credentials).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'storage-failed',
      retryable: true,
      message:
        'The session could not be written to storage (QuotaExceededError: The quota has been exceeded.). The new session was revoked at the server; free storage for this site and log in again',
    });
    await broker.whenIdle();
    expect(endpoint.revoked).toEqual(['refresh-1']);
    expect(await broker.status()).toMatchObject({ loggedIn: false });
    expect(events.map((e) => e.event)).toEqual(['revoked']);
  });

  it('never re-sends a refresh token the server rotated, even when the store hands the old record back', async () => {
    // A store that claims durability and keeps nothing: the broker's own memory of spent tokens still holds.
    const stale = memoryStore();
    const { broker: first, endpoint, clock } = makeBroker({ store: stale });
    await first.login(credentials);
    const lying: SessionStore = { ...stale, write: async () => undefined };
    const harness = makeBroker({ store: lying, endpoint, clock });
    await stale.write({ ...(await stale.read())!, accessExpiresAt: clock.now });
    await harness.broker.getToken().catch(() => undefined);
    clock.now += 61_000;
    const second = await harness.broker.refresh({ failedToken: 'access-1' }).catch((e: unknown) => e);
    expect(second).toMatchObject({ code: 'storage-failed', message: expect.stringContaining('it is not sent again') });
    expect(endpoint.refreshCalls).toEqual(['refresh-1']);
  });

  it('retries the write on a later request, at most once a second', async () => {
    const { store, control } = flakyStore();
    let writes = 0;
    const counting: SessionStore = { ...store, write: (session) => (writes++, store.write(session)) };
    const { broker, clock } = await loggedIn({ store: counting });
    control.failing = true;
    clock.now += 61_000;
    await broker.getToken();
    writes = 0;
    for (let i = 0; i < 10; i++) await broker.status();
    expect(writes).toBe(0);
    clock.now += 1_000;
    await Promise.all(Array.from({ length: 10 }, () => broker.status()));
    expect(writes).toBe(1);
  });
});
