import { describe, expect, it } from 'vitest';
import { QUEUED_HEADER, parseAllowlist, type QueuedRequest } from '../../protocol/index.js';
import type { TokenSet } from '../../sw/adapters/types.js';
import { resolveConfig } from '../../sw/config.js';
import { OfflineQueue, resolveOfflineQueue, type OfflineQueueOptions, type OfflineQueueSetup } from '../../sw/offline-queue.js';

/** What `backgroundSyncQueue(options)` returns, with the queue left to each test (Workbox's needs a worker). */
const backgroundSyncQueue = (options: OfflineQueueOptions = {}): OfflineQueueSetup => ({ kind: 'offline-queue', options, queue: () => memoryQueue().queue });
import { ScriptedEndpoint, makeBroker, memoryQueue } from './helpers.js';

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

type Sent = { method: string; url: string; authorization: string | null; body: string };

/** A network that can be down, and a server that answers each request with the status the test picks. */
function network() {
  const sent: Sent[] = [];
  const state = { down: false, hang: undefined as Promise<void> | undefined, status: (_request: Request) => 200 };
  const fetchFn: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    if (state.hang) await state.hang;
    if (state.down) throw new TypeError('Failed to fetch');
    sent.push({ method: request.method, url: request.url, authorization: request.headers.get('authorization'), body: await request.text() });
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
    expect(t.events.map((e) => [e.event, e.request.id])).toEqual(ids.map((id) => ['queued', id]));
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
    expect(t.events.slice(3).map((e) => [e.event, e.request.status])).toEqual([['replayed', 200], ['replayed', 200], ['replayed', 200]]);
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
    expect(t.events.slice(2).map((e) => [e.event, e.request.status, e.request.dropReason])).toEqual([
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
    expect(t.events.slice(2).map((e) => [e.event, e.request.dropReason])).toEqual([['dropped', 'logout'], ['dropped', 'logout']]);
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
    await t.offline.sessionStarted('ada');
    // The login starts a replay (still offline here): the request goes back in line.
    await t.offline.replay().catch(() => undefined);
    expect(await t.offline.pending()).toBe(1);
    await t.offline.sessionStarted('bob');
    expect(await t.offline.pending()).toBe(0);
    expect(t.events.at(-1)).toMatchObject({ event: 'dropped', request: { dropReason: 'other-user' } });
  });

  it('nothing is queued without a session (nobody could sign it later); a full queue reports what it did not keep', async () => {
    const t = await setUp({ maxEntries: 2 });
    t.net.state.down = true;
    await t.write('one');
    await t.write('two');
    await expect(t.write('three')).rejects.toThrow('Failed to fetch');
    expect(t.events.at(-1)).toMatchObject({ event: 'dropped', request: { dropReason: 'full', method: 'POST', url: 'https://api.test/notes' } });
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

describe('offline queue options', () => {
  it.each([
    [{ methods: 'POST' }, 'methods'],
    [{ maxEntries: 0 }, 'maxEntries'],
    [{ maxRetentionTime: -1 }, 'maxRetentionTime'],
    [{ match: 'x' }, 'match'],
  ])('%j is refused with a TypeError naming %s', (options, field) => {
    expect(() => resolveOfflineQueue(backgroundSyncQueue(options as never))).toThrow(new RegExp(field));
  });

  it('something else than backgroundSyncQueue() is refused, naming the function to use', () => {
    expect(() => resolveConfig({ endpoint: new ScriptedEndpoint(), apiAllowlist: ['https://api.test'], offlineQueue: { maxEntries: 3 } as never })).toThrow(/backgroundSyncQueue/);
  });
});
