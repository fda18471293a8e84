import { describe, expect, it } from 'vitest';
import { QUEUED_HEADER, parseAllowlist, type QueuedRequest } from '../../../protocol/index.js';
import type { TokenSet } from '../../../sw/adapters/types.js';
import { resolveConfig } from '../../../sw/config.js';
import { OfflineQueue, resolveOfflineQueue, type OfflineQueueOptions, type OfflineQueueSetup } from '../../../sw/offline-queue.js';

/** What `backgroundSyncQueue(options)` returns, with the queue left to each test (Workbox's needs a worker). */
const backgroundSyncQueue = (options: OfflineQueueOptions = {}): OfflineQueueSetup => ({ kind: 'offline-queue', options, queue: () => memoryQueue().queue, start: (deps) => new OfflineQueue(deps) });
import { ScriptedEndpoint, makeBroker, memoryQueue } from '../helpers.js';

/** Tokens that say who they are for, like a JWT's `sub` or an id_token would. */
class UserEndpoint extends ScriptedEndpoint {
  user = '';
  override async login(credentials: Readonly<Record<string, string>>): Promise<TokenSet> {
    this.user = credentials.username;
    return { ...(await super.login(credentials)), subject: this.user };
  }
  override async refresh(refreshToken: string): Promise<TokenSet> {
    return { ...(await super.refresh(refreshToken)), subject: this.user };
  }
}

type Sent = { method: string; url: string; authorization: string | null; body: string; key: string | null };

/** A network that can be down, and a server that answers each request with the status the test picks. */
function network() {
  const sent: Sent[] = [];
  const state = { down: false, loseAnswers: 0, hang: undefined as Promise<void> | undefined, status: (_request: Request) => 200 };
  const fetchFn: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    if (state.hang) await state.hang;
    if (state.down) throw new TypeError('Failed to fetch');
    sent.push({ method: request.method, url: request.url, authorization: request.headers.get('authorization'), body: await request.text(), key: request.headers.get('idempotency-key') });
    // The server acted, and then the answer was lost on the way back.
    if (state.loseAnswers > 0) {
      state.loseAnswers--;
      throw new TypeError('Failed to fetch');
    }
    return new Response('{}', { status: state.status(request) });
  };
  return { sent, state, fetch: fetchFn };
}

async function setUp(options: Parameters<typeof backgroundSyncQueue>[0] = {}, mode: 'handoff' | 'sealed' = 'handoff') {
  const endpoint = new UserEndpoint();
  const harness = makeBroker({ endpoint, mode });
  const net = network();
  const memory = memoryQueue();
  const events: Array<{ event: string; request: QueuedRequest; reason?: string }> = [];
  const resolved = resolveOfflineQueue(backgroundSyncQueue(options))!;
  const offline = new OfflineQueue({
    options: resolved,
    allowlist: parseAllowlist(['https://api.test']),
    broker: harness.broker,
    queue: () => memory.queue,
    notify: async (event, request, reason) => void events.push({ event, request, reason }),
    fetch: net.fetch,
    now: () => harness.clock.now,
  });
  await harness.broker.login({ username: 'ada', password: 'demo' });
  const write = (body: string, init: RequestInit = {}) =>
    offline.fetch(new Request('https://api.test/notes', { method: 'POST', body, headers: { authorization: 'Bearer access-1', 'content-type': 'text/plain' }, ...init }), net.fetch);
  return { ...harness, endpoint, net, memory, events, offline, write };
}

describe('the offline queue', () => {
  it('keeps a write that failed offline without its token, answers 202, and replays it signed with a fresh token, in order, with one refresh', async () => {
    const t = await setUp();
    t.net.state.down = true;
    const answers = [await t.write('one'), await t.write('two'), await t.write('three')];
    expect(answers.map((answer) => answer.status)).toEqual([202, 202, 202]);
    const ids = answers.map((answer) => answer.headers.get(QUEUED_HEADER));
    expect(new Set(ids).size).toBe(3);
    // Each new write first replays what waits: 'one' went out again and got no answer, which is said once.
    expect(t.events.map((e) => [e.event, e.request.id])).toEqual([['queued', ids[0]], ['requeued', ids[0]], ['queued', ids[1]], ['queued', ids[2]]]);
    // What is stored carries no token.
    expect(t.memory.entries.map((entry) => entry.request.headers.get('authorization'))).toEqual([null, null, null]);
    expect(JSON.stringify(t.memory.entries.map((entry) => entry.metadata))).not.toContain('access-1');

    t.clock.now += 120_000; // the token expired meanwhile
    t.net.state.down = false;
    await t.offline.replay();
    expect(t.net.sent.map((s) => [s.body, s.authorization])).toEqual([
      ['one', 'Bearer access-2'],
      ['two', 'Bearer access-2'],
      ['three', 'Bearer access-2'],
    ]);
    expect(t.endpoint.refreshCalls).toEqual(['refresh-1']);
    expect(t.events.slice(4).map((e) => [e.event, e.request.status])).toEqual([['replayed', 200], ['replayed', 200], ['replayed', 200]]);
    expect(await t.offline.pending()).toBe(0);
  });

  it('a replay that finds the network still down puts the request back first in line', async () => {
    const t = await setUp();
    t.net.state.down = true;
    await t.write('one');
    await t.write('two');
    await expect(t.offline.replay()).rejects.toThrow('Failed to fetch');
    expect(await Promise.all(t.memory.entries.map((entry) => entry.request.clone().text()))).toEqual(['one', 'two']);
    t.net.state.down = false;
    await t.offline.replay();
    expect(t.net.sent.map((s) => s.body)).toEqual(['one', 'two']);
  });

  it('a new write waits behind the queued ones, so the server sees them in the order they were made', async () => {
    const t = await setUp();
    t.net.state.down = true;
    await t.write('offline');
    t.net.state.down = false;
    const live = await t.write('online');
    expect(live.status).toBe(200);
    expect(t.net.sent.map((s) => s.body)).toEqual(['offline', 'online']);
  });

  it('a replay answered 4xx is dropped and reported; the next ones still go out', async () => {
    const t = await setUp();
    t.net.state.down = true;
    await t.write('bad');
    await t.write('good');
    t.net.state.down = false;
    t.net.state.status = (request) => (request.headers.get('content-type') === 'text/plain' && t.net.sent.length === 1 ? 422 : 201);
    await t.offline.replay();
    expect(t.events.filter((e) => e.event !== 'queued' && e.event !== 'requeued').map((e) => [e.event, e.request.status, e.request.dropReason])).toEqual([
      ['dropped', 422, 'rejected'],
      ['replayed', 201, undefined],
    ]);
  });

  it('a replay answered 401 refreshes once and retries with the new token', async () => {
    const t = await setUp();
    t.net.state.down = true;
    await t.write('one');
    t.net.state.down = false;
    t.net.state.status = (request) => (request.headers.get('authorization') === 'Bearer access-1' ? 401 : 200);
    await t.offline.replay();
    expect(t.net.sent.map((s) => s.authorization)).toEqual(['Bearer access-1', 'Bearer access-2']);
    expect(t.events.at(-1)).toMatchObject({ event: 'replayed', request: { status: 200 } });
  });

  it('a logout clears the queue: nothing is replayed, each request is reported dropped', async () => {
    const t = await setUp();
    t.net.state.down = true;
    await t.write('one');
    await t.write('two');
    t.net.state.down = false;
    await t.offline.clear('logout');
    await t.offline.replay();
    expect(t.net.sent).toEqual([]);
    expect(t.events.filter((e) => e.event === 'dropped').map((e) => [e.event, e.request.dropReason])).toEqual([['dropped', 'logout'], ['dropped', 'logout']]);
  });

  it('a logout does not wait for a replay whose request hangs, and that request is not put back', async () => {
    const t = await setUp();
    t.net.state.down = true;
    await t.write('one');
    await t.write('two');
    let release!: () => void;
    t.net.state.hang = new Promise((resolve) => (release = resolve));
    const replay = t.offline.replay().catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await t.offline.clear('logout'); // returns while the first request still hangs
    expect(await t.offline.pending()).toBe(0);
    release();
    await replay;
    expect(await t.offline.pending()).toBe(0);
    expect(t.events.filter((e) => e.event === 'dropped').map((e) => e.request.dropReason)).toEqual(['logout', 'logout']);
  });

  it('a login of another user drops what the first made; the same user logging in again gets them replayed', async () => {
    const t = await setUp();
    t.net.state.down = true;
    await t.write('ada-1');
    await t.offline.sessionStarted('sub:ada');
    // The login starts a replay (still offline here): the request goes back in line.
    await t.offline.replay().catch(() => undefined);
    expect(await t.offline.pending()).toBe(1);
    await t.offline.sessionStarted('sub:bob');
    expect(await t.offline.pending()).toBe(0);
    expect(t.events.at(-1)).toMatchObject({ event: 'dropped', request: { dropReason: 'other-user' } });
  });

  it('nothing is queued without a session (nobody could sign it later); a full queue reports what it did not keep', async () => {
    const t = await setUp({ maxEntries: 2 });
    t.net.state.down = true;
    await t.write('one');
    await t.write('two');
    await expect(t.write('three')).rejects.toThrow('Failed to fetch');
    // Drops for a full queue are told once per burst (250 ms), with how many.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(t.events.at(-1)).toMatchObject({ event: 'dropped', request: { dropReason: 'full', method: 'POST', url: 'https://api.test/notes', count: 1 } });
    await t.broker.logout();
    await t.offline.clear('logout');
    await expect(t.write('four')).rejects.toThrow('Failed to fetch');
    expect(await t.offline.pending()).toBe(0);
  });

  it('a request older than maxRetentionTime is dropped as expired, not replayed', async () => {
    const t = await setUp({ maxRetentionTime: 60 });
    t.net.state.down = true;
    await t.write('old');
    t.clock.now += 61 * 60_000;
    t.net.state.down = false;
    await t.offline.replay();
    expect(t.net.sent).toEqual([]);
    expect(t.events.at(-1)).toMatchObject({ event: 'dropped', request: { dropReason: 'expired' } });
  });

  it('queues only writes to the allowlist that the app opts into', async () => {
    const t = await setUp({ methods: ['POST', 'PUT'], match: (url) => url.pathname !== '/notes/skip' });
    const accepts = (url: string, method: string) => t.offline.accepts(new Request(url, { method }));
    expect(accepts('https://api.test/notes', 'POST')).toBe(true);
    expect(accepts('https://api.test/notes', 'put')).toBe(true);
    expect(accepts('https://api.test/notes', 'GET')).toBe(false);
    expect(accepts('https://api.test/notes', 'DELETE')).toBe(false);
    expect(accepts('https://api.test/notes/skip', 'POST')).toBe(false);
    expect(accepts('https://evil.test/notes', 'POST')).toBe(false);
  });

  it('one replay at a time: triggers that come together (sync, online in two tabs) share it', async () => {
    const t = await setUp();
    t.net.state.down = true;
    await t.write('one');
    t.net.state.down = false;
    await Promise.all([t.offline.replay(), t.offline.replay(), t.offline.replay()]);
    expect(t.net.sent.map((s) => s.body)).toEqual(['one']);
  });
});

describe('the offline queue under races and losses (rules 11, 13, 15)', () => {
  it('every write carries an Idempotency-Key set at its first send and kept across replays; an answer lost after the server acted is told (requeued) and sent again with the same key', async () => {
    const t = await setUp();
    t.net.state.loseAnswers = 1; // the server applies the write, the answer is lost: queued
    const answer = await t.write('once');
    expect(answer.status).toBe(202);
    t.net.state.loseAnswers = 1; // the first replay's answer is lost too
    await expect(t.offline.replay()).rejects.toThrow('Failed to fetch');
    await t.offline.replay();
    const keys = t.net.sent.map((s) => s.key);
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(t.events.map((e) => [e.event, e.request.attempts, e.request.idempotencyKey])).toEqual([
      ['queued', undefined, keys[0]],
      ['requeued', 2, keys[0]],
      ['replayed', 3, keys[0]],
    ]);
  });

  it("an Idempotency-Key the app set is kept as it is; idempotencyKey: false sends none", async () => {
    const t = await setUp();
    t.net.state.down = true;
    await t.write('mine', { headers: { 'idempotency-key': 'app-key-1', 'content-type': 'text/plain' } });
    t.net.state.down = false;
    await t.offline.replay();
    expect(t.net.sent.map((s) => s.key)).toEqual(['app-key-1']);
    const none = await setUp({ idempotencyKey: false });
    await none.write('plain');
    expect(none.net.sent.map((s) => s.key)).toEqual([null]);
  });

  it('maxEntries holds under any concurrency, and the drops of a burst are one event with a count', async () => {
    const t = await setUp({ maxEntries: 20 });
    t.net.state.down = true;
    const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => t.write(`w${i}`).then((r) => r.status, () => 'offline')));
    expect(answers.filter((status) => status === 202)).toHaveLength(20);
    expect(answers.filter((status) => status === 'offline')).toHaveLength(280);
    expect(await t.offline.pending()).toBe(20);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const full = t.events.filter((e) => e.request.dropReason === 'full');
    expect(full).toHaveLength(1);
    expect(full[0].request.count).toBe(280);
  });

  it('a request that carries a token the worker holds is not stored (dropped: contains-token); headers the app names are removed', async () => {
    const t = await setUp({ stripHeaders: ['X-Api-Key'] });
    t.net.state.down = true;
    await expect(t.write(JSON.stringify({ token: 'access-1' }))).rejects.toThrow('Failed to fetch');
    await expect(t.write('x', { headers: { 'x-forwarded-token': 'Bearer access-1' } })).rejects.toThrow('Failed to fetch');
    expect(t.events.map((e) => [e.event, e.request.dropReason])).toEqual([
      ['dropped', 'contains-token'],
      ['dropped', 'contains-token'],
    ]);
    expect((await t.write('fine', { headers: { 'x-api-key': 'access-1', 'content-type': 'text/plain' } })).status).toBe(202);
    expect(t.memory.entries.map((entry) => entry.request.headers.get('x-api-key'))).toEqual([null]);
    expect(await t.offline.pending()).toBe(1);
  });

  it("a queued write whose replay finds another user's session (a login during its refresh) is dropped other-user, never sent with that token", async () => {
    const t = await setUp();
    t.net.state.down = true;
    await t.write('ada writes');
    t.net.state.down = false;
    // The replay gets a 401; the refresh that follows is slow, and bob logs in meanwhile.
    t.net.state.status = (request) => (request.headers.get('authorization') === 'Bearer access-1' ? 401 : 201);
    t.endpoint.next = 'hang';
    const replay = t.offline.replay();
    await new Promise((resolve) => setTimeout(resolve, 10));
    t.endpoint.next = 'ok';
    await t.broker.login({ username: 'bob', password: 'demo' });
    t.endpoint.next = 'reject';
    t.endpoint.release();
    await replay;
    expect(t.net.sent.map((s) => s.authorization)).toEqual(['Bearer access-1']);
    expect(t.events.at(-1)).toMatchObject({ event: 'dropped', request: { dropReason: 'other-user' } });
    expect((await t.broker.status()).session).toBe('sub:bob');
  });

  it('storage the browser deleted: what it took is reported (storage-cleared, with a count), and the queue works again at once', async () => {
    const t = await setUp();
    t.net.state.down = true;
    await t.write('one');
    await t.write('two');
    // The browser deletes the database: the entries are gone and the next operation fails until reconnected.
    t.memory.entries.length = 0;
    let broken = true;
    let reconnected = 0;
    const { queue } = t.memory;
    const size = queue.size;
    queue.size = async () => {
      if (broken) throw new DOMException('The database connection is closing.', 'InvalidStateError');
      return size();
    };
    queue.reconnect = () => {
      broken = false;
      reconnected++;
    };
    expect((await t.write('three')).status).toBe(202);
    expect(reconnected).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(t.events.filter((e) => e.request.dropReason === 'storage-cleared').map((e) => e.request.count)).toEqual([2]);
    expect(await t.offline.pending()).toBe(1);
  });

  it('a write the queue cannot store fails as offline (its network error) and every tab hears dropped: storage-failed, with the reason', async () => {
    const t = await setUp();
    t.net.state.down = true;
    t.memory.queue.pushRequest = async () => Promise.reject(new DOMException('The quota has been exceeded.', 'QuotaExceededError'));
    await expect(t.write('one')).rejects.toThrow(TypeError);
    expect(t.events.map((e) => [e.event, e.request.dropReason, e.reason])).toEqual([['dropped', 'storage-failed', 'The offline queue could not store this request: The quota has been exceeded.']]);
    expect(t.memory.entries).toEqual([]);
  });

  it('a count it cannot read is storage-failed, never 0; the queue still takes writes and keeps them in order once it can', async () => {
    const t = await setUp();
    t.net.state.down = true;
    await t.write('one');
    const { queue } = t.memory;
    const size = queue.size;
    let broken = true;
    queue.size = async () => {
      if (broken) throw new DOMException('The operation failed for reasons unrelated to the database itself.', 'UnknownError');
      return size();
    };
    const error = await t.offline.pending().catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'StorageFailedError', code: 'storage-failed' });
    expect((error as Error).message).toMatch(/^The offline queue's storage cannot be read: The operation failed/);
    // A write meanwhile is still queued (the queue's own choices read an unknown count as none).
    expect((await t.write('two')).status).toBe(202);
    broken = false;
    expect(await t.offline.pending()).toBe(2);
    t.net.state.down = false;
    await t.offline.replay();
    expect(t.net.sent.map((r) => r.body)).toEqual(['one', 'two']);
  });
});

describe('offline queue options', () => {
  it.each([
    [{ methods: 'POST' }, 'methods'],
    [{ maxEntries: 0 }, 'maxEntries'],
    [{ maxRetentionTime: -1 }, 'maxRetentionTime'],
    [{ match: 'x' }, 'match'],
    [{ idempotencyKey: 'bad header' }, 'idempotencyKey'],
    [{ stripHeaders: ['ok', 3] }, 'stripHeaders'],
  ])('%j is refused with a TypeError naming %s', (options, field) => {
    expect(() => resolveOfflineQueue(backgroundSyncQueue(options as never))).toThrow(new RegExp(field));
  });

  it('something else than backgroundSyncQueue() is refused, naming the function to use', () => {
    expect(() => resolveConfig({ endpoint: new ScriptedEndpoint(), apiAllowlist: ['https://api.test'], offlineQueue: { maxEntries: 3 } as never })).toThrow(/backgroundSyncQueue/);
  });
});
