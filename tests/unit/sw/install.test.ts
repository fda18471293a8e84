import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GENERATION_HEADER, PROTOCOL, PROTOCOL_VERSION, RETRIED_HEADER, type BrokerEvent } from '../../../protocol/index.js';
import { installTokenBroker, jsonEndpoint, memoryStore, oauth2Endpoint, type TokenBrokerConfig } from '../../../sw/index.js';
import { TAKE_OVER } from '../../../sw/take-over.js';
import { memoryQueue } from '../helpers.js';
import { OfflineQueue, type OfflineQueueDependencies } from '../../../sw/offline-queue.js';

type Listener = (event: never) => void;

/** A service worker global scope with only what the broker touches: listeners, clients, registration. */
function fakeScope() {
  const listeners = new Map<string, Set<Listener>>();
  const posted: BrokerEvent[] = [];
  let claims = 0;
  let skips = 0;
  /** What the worker posted to its registration's waiting version. */
  const toWaiting: unknown[] = [];
  const scope = {
    registration: { scope: 'https://app.test/', waiting: null as null | { postMessage(message: unknown): void } },
    addEventListener: (type: string, listener: Listener) => void (listeners.get(type) ?? listeners.set(type, new Set()).get(type)!).add(listener),
    removeEventListener: (type: string, listener: Listener) => void listeners.get(type)?.delete(listener),
    skipWaiting: async () => void skips++,
    clients: {
      matchAll: async () => [{ postMessage: (message: BrokerEvent) => posted.push(message) }],
      claim: async () => void claims++,
    },
  };
  /** Dispatches an extendable event to the listeners and waits for what they passed to waitUntil. */
  const dispatch = async (type: string, fields: Record<string, unknown> = {}) => {
    const waits: Promise<unknown>[] = [];
    const event = { ...fields, waitUntil: (promise: Promise<unknown>) => waits.push(promise) };
    for (const listener of listeners.get(type) ?? []) listener(event as never);
    await Promise.all(waits);
  };
  /** Posts a broker request as a page would, and resolves with the reply. */
  const send = async (type: string, fields: Record<string, unknown> = {}) => {
    const replies: unknown[] = [];
    const port = { postMessage: (reply: unknown) => replies.push(reply) };
    await dispatch('message', { data: { protocol: PROTOCOL, v: PROTOCOL_VERSION, id: 'm1', type, ...fields }, ports: [port], source: null });
    return replies[0] as Record<string, unknown>;
  };
  /** A version waiting behind this one, recording what it is sent. */
  const addWaitingVersion = () => (scope.registration.waiting = { postMessage: (message: unknown) => void toWaiting.push(message) });
  return { scope: scope as unknown as ServiceWorkerGlobalScope, listeners, posted, claims: () => claims, skips: () => skips, toWaiting, addWaitingVersion, dispatch, send };
}

/** A token endpoint on a scripted fetch that rotates refresh tokens; records every request. */
function scriptedServer() {
  const requests: Array<{ url: string; body: string; authorization: string | null }> = [];
  let n = 0;
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const body = await request.text();
    requests.push({ url: request.url, body, authorization: request.headers.get('authorization') });
    if (request.url.endsWith('/auth/login') || request.url.endsWith('/auth/refresh')) {
      n++;
      return Response.json({ accessToken: `access-${n}`, refreshToken: `refresh-${n}`, expiresIn: 60 });
    }
    if (request.url.endsWith('/auth/logout')) return Response.json({ ok: true });
    if (request.url.endsWith('/api/never')) return new Response('no', { status: 401 });
    return new Response('no', { status: request.headers.get('authorization') === `Bearer access-${n}` ? 200 : 401 });
  }) as typeof fetch;
  return { fetch: fetchFn, requests };
}

function install(overrides: Partial<TokenBrokerConfig> = {}) {
  const harness = fakeScope();
  const server = scriptedServer();
  const store = memoryStore();
  const installed = installTokenBroker(
    {
      name: 'unit',
      endpoint: jsonEndpoint({ loginUrl: 'https://app.test/auth/login', refreshUrl: 'https://app.test/auth/refresh', logoutUrl: 'https://app.test/auth/logout' }),
      apiAllowlist: ['https://app.test/api/'],
      store,
      fetch: server.fetch,
      ...overrides,
    },
    harness.scope,
  );
  return { ...harness, server, store, installed };
}

describe('installTokenBroker', () => {
  it('with an offline queue in handoff mode: listens to fetches, keeps a failed write tokenless (202), reports it in the ping, replays it on replayQueue, and a logout empties it', async () => {
    const { queue: memory, entries } = memoryQueue();
    let down = false;
    const server = scriptedServer();
    const offlineQueue = { kind: 'offline-queue' as const, options: {}, queue: () => memory, start: (deps: OfflineQueueDependencies) => new OfflineQueue(deps) };
    const { send, installed, listeners, posted } = install({ offlineQueue, fetch: (async (input, init) => (down && String(new Request(input, init).url).includes('/api/') ? Promise.reject(new TypeError('Failed to fetch')) : server.fetch(input, init))) as typeof fetch });
    expect(listeners.get('fetch')?.size).toBe(1);
    await send('login', { credentials: { username: 'demo', password: 'demo' } });
    down = true;
    let response: Promise<Response> | undefined;
    const write = new Request('https://app.test/api/notes', { method: 'POST', body: '{"text":"x"}', headers: { authorization: 'Bearer access-1' } });
    expect(installed.handleFetch({ request: write, respondWith: (r: Promise<Response>) => (response = r), waitUntil: () => {} } as unknown as FetchEvent)).toBe(true);
    expect((await response!).status).toBe(202);
    expect(entries.map((entry) => entry.request.headers.get('authorization'))).toEqual([null]);
    expect(await send('ping')).toMatchObject({ ok: true, queuePending: 1 });
    // A GET is not the queue's: left to the browser.
    expect(installed.handleFetch({ request: new Request('https://app.test/api/data'), respondWith: () => {}, waitUntil: () => {} } as unknown as FetchEvent)).toBe(false);
    down = false;
    expect(await send('replayQueue')).toMatchObject({ ok: true, pending: 0 });
    expect(server.requests.filter((r) => r.url.endsWith('/api/notes')).map((r) => [r.body, r.authorization])).toEqual([['{"text":"x"}', 'Bearer access-1']]);
    expect(posted.filter((e) => e.request).map((e) => [e.event, e.request!.method, e.request!.status])).toEqual([['queued', 'POST', undefined], ['replayed', 'POST', 200]]);
    down = true;
    const again = new Request('https://app.test/api/notes', { method: 'POST', body: '{"text":"y"}' });
    await installed.handleFetch({ request: again, respondWith: (r: Promise<Response>) => (response = r), waitUntil: () => {} } as unknown as FetchEvent);
    await response;
    await send('logout');
    expect(entries).toEqual([]);
    expect(posted.filter((e) => e.request).map((e) => [e.event, e.request!.dropReason])).toEqual([['queued', undefined], ['replayed', undefined], ['queued', undefined], ['dropped', 'logout']]);
  });

  it("with an offline queue whose storage cannot be read: the ping still answers (0: no replay at connect), and replayQueue answers storage-failed, not 0", async () => {
    const { queue: memory } = memoryQueue();
    memory.size = async () => Promise.reject(new DOMException('The operation failed for reasons unrelated to the database itself.', 'UnknownError'));
    const offlineQueue = { kind: 'offline-queue' as const, options: {}, queue: () => memory, start: (deps: OfflineQueueDependencies) => new OfflineQueue(deps) };
    const { send } = install({ offlineQueue });
    expect(await send('ping')).toMatchObject({ ok: true, queuePending: 0 });
    expect(await send('replayQueue')).toMatchObject({ ok: false, error: { code: 'storage-failed' } });
  });

  it('answers page messages through the injected fetch and keeps the session in the injected store', async () => {
    const { send, server, store, posted } = install();
    expect(await send('login', { credentials: { username: 'demo', password: 'demo' } })).toMatchObject({ ok: true, id: 'm1', status: { loggedIn: true, generation: 1 } });
    expect(server.requests.map((r) => r.url)).toEqual(['https://app.test/auth/login']);
    expect(await store.read()).toMatchObject({ refreshToken: 'refresh-1', accessToken: 'access-1', generation: 1 });
    expect(await send('refresh', { failedToken: 'access-1' })).toMatchObject({ ok: true, mode: 'handoff', accessToken: 'access-2', generation: 2 });
    expect(server.requests[1]).toMatchObject({ url: 'https://app.test/auth/refresh', body: '{"refreshToken":"refresh-1"}' });
    expect(posted.map((e) => [e.broker, e.event])).toEqual([
      ['unit', 'login'],
      ['unit', 'refreshed'],
    ]);
    expect(JSON.stringify(posted)).not.toContain('refresh-');
    expect(await send('logout')).toMatchObject({ ok: true, status: { loggedIn: false } });
    expect(server.requests[2]).toMatchObject({ url: 'https://app.test/auth/logout', body: '{"refreshToken":"refresh-2"}' });
    expect(await store.read()).toBeUndefined();
  });

  it('leaves untagged messages to the worker\'s other handlers unless it owns all messages', async () => {
    const shared = install();
    const replies: unknown[] = [];
    await shared.dispatch('message', { data: 'hello', ports: [{ postMessage: (m: unknown) => replies.push(m) }], source: null });
    expect(replies).toEqual([]);
    const owner = install({ ownsAllMessages: true });
    await owner.dispatch('message', { data: 'hello', ports: [{ postMessage: (m: unknown) => replies.push(m) }], source: null });
    expect(replies).toMatchObject([{ ok: false, error: { code: 'malformed-message' } }]);
  });

  it('in sealed mode signs allowlisted requests only, refreshes and retries a 401 once, and marks a final 401 with the generation used', async () => {
    const { send, installed, server, listeners } = install({ mode: 'sealed' });
    expect(listeners.get('fetch')?.size).toBe(1);
    await send('login', { credentials: { username: 'demo', password: 'demo' } });
    const fetchEvent = (url: string) => {
      let response: Promise<Response> | undefined;
      const event = { request: new Request(url), respondWith: (r: Promise<Response>) => (response = r), waitUntil: () => {} } as unknown as FetchEvent;
      return { handled: installed.handleFetch(event), response: () => response! };
    };
    const allowed = fetchEvent('https://app.test/api/data');
    expect(allowed.handled).toBe(true);
    expect((await allowed.response()).status).toBe(200);
    expect(server.requests.at(-1)).toMatchObject({ url: 'https://app.test/api/data', authorization: 'Bearer access-1' });
    expect(fetchEvent('https://app.test/public/data').handled).toBe(false);
    expect(fetchEvent('https://other.test/api/data').handled).toBe(false);
    // The API rotates behind the worker's back: the worker's token is stale; it refreshes and retries.
    await server.fetch('https://app.test/auth/refresh', { method: 'POST', body: '{}' });
    const retried = await fetchEvent('https://app.test/api/data').response();
    expect(retried.status).toBe(200);
    expect(retried.headers.get(RETRIED_HEADER)).toBe('1');
    // An endpoint that rejects every token: one refresh, one retry, then the 401 with the generation used.
    const rejected = await fetchEvent('https://app.test/api/never').response();
    expect(rejected.status).toBe(401);
    expect(rejected.headers.get(GENERATION_HEADER)).toBe('3');
    expect(rejected.headers.get(RETRIED_HEADER)).toBe('1');
  });

  it('adds no fetch listener in handoff mode without a login by redirect', () => {
    const { listeners } = install();
    expect(listeners.get('fetch')?.size ?? 0).toBe(0);
  });

  it.each([
    [{}, 1],
    [{ clientsClaim: false }, 0],
    [{ claimClients: false }, 0],
    [{ clientsClaim: true, claimClients: false }, 1],
  ] as const)('claims open tabs on activation as configured (%o)', async (options, claims) => {
    const harness = install(options);
    await harness.dispatch('activate');
    expect(harness.claims()).toBe(claims);
  });

  describe('a skip-waiting version installed while this one activated (Chromium can keep it waiting: sw/take-over.ts)', () => {
    /** Stands in for the ServiceWorker class: a message from another version has one as its source. */
    class FakeServiceWorker {}
    beforeEach(() => void vi.stubGlobal('ServiceWorker', FakeServiceWorker));
    afterEach(() => void vi.unstubAllGlobals());

    it('once activated, asks the waiting version to take over, after claiming the tabs', async () => {
      const harness = install({ skipWaiting: true });
      harness.addWaitingVersion();
      await harness.dispatch('activate');
      expect(harness.claims()).toBe(1);
      expect(harness.toWaiting).toEqual([TAKE_OVER]);
    });

    it('asks nothing when it does not skip waiting itself (the app decides when updates take over) or nothing waits', async () => {
      const quiet = install({ skipWaiting: false });
      quiet.addWaitingVersion();
      await quiet.dispatch('activate');
      expect(quiet.toWaiting).toEqual([]);
      await expect(install({ skipWaiting: true }).dispatch('activate')).resolves.toBeUndefined();
    });

    it('the waiting version skips waiting again when another version asks, and answers it nothing', async () => {
      const harness = install({ skipWaiting: true });
      await harness.dispatch('install');
      expect(harness.skips()).toBe(1);
      const replies: unknown[] = [];
      const source = Object.assign(new FakeServiceWorker(), { postMessage: (reply: unknown) => replies.push(reply) });
      await harness.dispatch('message', { data: TAKE_OVER, source, ports: [] });
      expect(harness.skips()).toBe(2);
      // Not even a real request from a worker is answered: two versions never reply to each other in a loop.
      await harness.dispatch('message', { data: { protocol: PROTOCOL, v: PROTOCOL_VERSION, id: 'w1', type: 'ping' }, source, ports: [] });
      expect(replies).toEqual([]);
    });

    it('a version that leaves waiting to the app ignores the request; a page sending it gets unknown-type', async () => {
      const harness = install({ skipWaiting: false });
      await harness.dispatch('message', { data: TAKE_OVER, source: new FakeServiceWorker(), ports: [] });
      expect(harness.skips()).toBe(0);
      const eager = install({ skipWaiting: true, ownsAllMessages: true });
      expect(await eager.send('takeOver')).toMatchObject({ ok: false, error: { code: 'unknown-type' } });
      expect(eager.skips()).toBe(0);
    });
  });

  it('removes every listener it added on uninstall', () => {
    const { listeners, installed } = install({ mode: 'sealed' });
    installed.uninstall();
    expect([...listeners.values()].every((set) => set.size === 0)).toBe(true);
  });

  it.each([
    ['an adapter built from bad options', { endpoint: jsonEndpoint({ loginUrl: '', refreshUrl: '/r' }) }, 'loginUrl must be a URL'],
    ['an http token endpoint', { endpoint: oauth2Endpoint({ tokenEndpoint: 'http://id.test/token', clientId: 'spa' }) }, 'http://id.test/token is not https; set allowInsecureRequests for loopback development only'],
    ['a relative allowlist entry', { apiAllowlist: ['/api/'] }, 'allowlist entry is not an absolute URL: /api/'],
    ['an endpoint without a login', { endpoint: { refresh: async () => ({ accessToken: 'a' }) } }, 'config.endpoint must offer a login: login(credentials) or redirectLogin'],
  ] as const)('answers every broker message with misconfigured and the reason for %s, instead of failing the worker script', async (_label, overrides, reason) => {
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args);
    let harness: ReturnType<typeof install>;
    try {
      harness = install(overrides as Partial<TokenBrokerConfig>);
    } finally {
      console.error = original;
    }
    expect(errors).toHaveLength(1);
    const expected = { ok: false, id: 'm1', error: { code: 'misconfigured', message: `The token broker in this service worker is misconfigured: ${reason}` } };
    expect(await harness.send('ping')).toEqual(expected);
    expect(await harness.send('login', { credentials: { username: 'demo', password: 'demo' } })).toEqual(expected);
    expect(harness.server.requests).toEqual([]);
    expect(() => harness.installed.broker).toThrow(new TypeError(reason));
    expect([...harness.listeners.keys()]).toEqual(['message']);
    // Untagged messages stay the worker's other handlers' business.
    const replies: unknown[] = [];
    await harness.dispatch('message', { data: 'hello', ports: [{ postMessage: (m: unknown) => replies.push(m) }], source: null });
    expect(replies).toEqual([]);
  });
});
