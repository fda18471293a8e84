import { beforeAll, describe, expect, it } from 'vitest';
import type { BrokerEvent } from '../../../protocol/index.js';
import { connectClient, dispatchBrokerEvent, installPageGlobals, ScriptedWorker } from '../page-helpers.js';

let container: ReturnType<typeof installPageGlobals>;
beforeAll(() => {
  container = installPageGlobals('https://app.test/page');
});

const FAR_FUTURE = Date.now() + 3_600_000;

describe('BrokerClient', () => {
  it('learns name, mode and allowlist from the worker, and applies the allowlist to URLs resolved against the page', async () => {
    const worker = new ScriptedWorker();
    worker.apiAllowlist = ['https://app.test/api/'];
    const client = await connectClient(worker);
    expect([client.name, client.mode, client.loginKind]).toEqual([worker.name, 'handoff', 'password']);
    expect(client.isApiUrl('/api/data')).toBe(true);
    expect(client.isApiUrl('/api/../admin')).toBe(false);
    expect(client.isApiUrl('https://other.test/api/data')).toBe(false);
  });

  it('caches a handoff token until its refreshAt, with one message for concurrent callers', async () => {
    const worker = new ScriptedWorker();
    worker.refreshAt = FAR_FUTURE;
    const client = await connectClient(worker);
    const tokens = await Promise.all(Array.from({ length: 10 }, () => client.getAccessToken()));
    expect(new Set(tokens)).toEqual(new Set(['token-1']));
    expect(await client.getAccessToken()).toBe('token-1');
    expect(worker.getCalls).toBe(1);
  });

  it('asks again once the cached token is due', async () => {
    const worker = new ScriptedWorker();
    worker.refreshAt = Date.now() - 1;
    const client = await connectClient(worker);
    await client.getAccessToken();
    worker.current = 2;
    expect(await client.getAccessToken()).toBe('token-2');
    expect(worker.getCalls).toBe(2);
  });

  it('keeps the newest generation: an older token in a late reply does not replace it', async () => {
    const worker = new ScriptedWorker();
    worker.refreshAt = FAR_FUTURE;
    const client = await connectClient(worker);
    expect(await client.reportUnauthorized({ failedToken: 'token-1' })).toMatchObject({ mode: 'handoff', accessToken: 'token-2', generation: 2 });
    // A reply that names generation 1 (a slower, older answer) is returned to its caller but not cached.
    worker.current = 1;
    expect(await client.reportUnauthorized({ failedToken: 'token-0' })).toMatchObject({ accessToken: 'token-1', generation: 1 });
    expect(await client.getAccessToken()).toBe('token-2');
    expect(worker.getCalls).toBe(0);
  });

  it('sends one refresh message for any number of concurrent 401 reports in the tab', async () => {
    const worker = new ScriptedWorker();
    const client = await connectClient(worker);
    const results = await Promise.all(Array.from({ length: 25 }, () => client.reportUnauthorized({ failedToken: 'token-1' })));
    expect(worker.refreshCalls).toBe(1);
    expect(new Set(results.map((r) => r.generation))).toEqual(new Set([2]));
    // Once settled, the next report is a new message.
    await client.reportUnauthorized({ failedToken: 'token-2' });
    expect(worker.refreshCalls).toBe(2);
  });

  it('does not let a report of another token join a report in flight (its answer would be about the wrong token)', async () => {
    const worker = new ScriptedWorker();
    const client = await connectClient(worker);
    const [stale, current] = await Promise.all([client.reportUnauthorized({ failedToken: 'token-0' }), client.reportUnauthorized({ failedToken: 'token-1' })]);
    expect(worker.refreshCalls).toBe(2);
    expect(stale).toMatchObject({ refreshed: false });
    expect(current).toMatchObject({ refreshed: true, generation: 2 });
  });

  it('rejects every waiter of a failed refresh with the typed error, and lets the next report try again', async () => {
    const worker = new ScriptedWorker();
    worker.failWith = 'refresh-unavailable';
    const client = await connectClient(worker);
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => client.reportUnauthorized({ failedToken: 'token-1' })));
    expect(results.map((r) => r.status === 'rejected' && (r.reason as { code: string }).code)).toEqual(Array(5).fill('refresh-unavailable'));
    expect(worker.refreshCalls).toBe(1);
    worker.failWith = undefined;
    await expect(client.reportUnauthorized({ failedToken: 'token-1' })).resolves.toMatchObject({ generation: 2 });
    expect(worker.refreshCalls).toBe(2);
  });

  it('returns sealed results without a token, and refuses getAccessToken in sealed mode', async () => {
    const worker = new ScriptedWorker();
    worker.mode = 'sealed';
    const client = await connectClient(worker);
    const result = await client.reportUnauthorized({ failedGeneration: 1 });
    expect(result).toEqual({ mode: 'sealed', accessExpiresAt: 0, refreshAt: 0, generation: 2, session: 'sid:one', refreshed: true });
    await expect(client.getAccessToken()).rejects.toMatchObject({ code: 'not-supported' });
    expect(worker.getCalls).toBe(0);
  });

  it('dispatches events of its own broker to every handler, as a copy of the message, until unsubscribed', async () => {
    const client = await connectClient(new ScriptedWorker());
    const seen: BrokerEvent[] = [];
    const other: BrokerEvent[] = [];
    const off = client.on('refreshed', (event) => seen.push(event));
    client.on('refreshed', (event) => other.push(event));
    client.on('login', () => {
      throw new Error('a throwing handler must not stop the others');
    });
    const afterThrow: string[] = [];
    client.on('login', (event) => afterThrow.push(event.event));
    const thrown: unknown[] = [];
    let sent: BrokerEvent | undefined;
    const onError = (error: unknown) => thrown.push(error);
    process.on('uncaughtException', onError);
    try {
      sent = dispatchBrokerEvent(container, client.name, 'refreshed', 2);
      dispatchBrokerEvent(container, 'another-broker', 'refreshed', 7);
      dispatchBrokerEvent(container, client.name, 'login', 1);
      container.dispatchEvent(new MessageEvent('message', { data: { protocol: 'something-else', event: 'refreshed', broker: client.name } }));
      await new Promise((resolve) => setTimeout(resolve, 10));
    } finally {
      process.off('uncaughtException', onError);
    }
    expect(seen.map((e) => [e.broker, e.event, e.status.generation])).toEqual([[client.name, 'refreshed', 2]]);
    expect(other).toHaveLength(1);
    expect(seen[0]).toEqual(sent);
    expect(seen[0]).not.toBe(sent);
    expect(seen[0].status).not.toBe(sent?.status);
    expect(afterThrow).toEqual(['login']);
    expect(thrown).toHaveLength(1);
    off();
    dispatchBrokerEvent(container, client.name, 'refreshed', 3);
    expect(seen).toHaveLength(1);
    expect(other).toHaveLength(2);
    client.close();
    dispatchBrokerEvent(container, client.name, 'refreshed', 4);
    expect(other).toHaveLength(2);
  });

  it.each(['login', 'logged-out', 'session-ended'] as const)('forgets the cached token when another tab reports %s', async (event) => {
    const worker = new ScriptedWorker();
    worker.refreshAt = FAR_FUTURE;
    const client = await connectClient(worker);
    await client.getAccessToken();
    dispatchBrokerEvent(container, client.name, event);
    await client.getAccessToken();
    expect(worker.getCalls).toBe(2);
  });

  it('keeps the cached token on a refreshed event (the token it holds is still valid)', async () => {
    const worker = new ScriptedWorker();
    worker.refreshAt = FAR_FUTURE;
    const client = await connectClient(worker);
    await client.getAccessToken();
    dispatchBrokerEvent(container, client.name, 'refreshed', 2);
    await client.getAccessToken();
    expect(worker.getCalls).toBe(1);
  });
});

describe('the session snapshot, for UI state', () => {
  it('starts from the status the worker reported, stays the same object until it changes, and tells subscribers once per event', async () => {
    const worker = new ScriptedWorker();
    const client = await connectClient(worker);
    const first = client.getSnapshot();
    expect(first).toMatchObject({ state: 'logged-in', claims: null, status: { loggedIn: true, generation: 1 } });
    expect(client.getSnapshot()).toBe(first);
    const seen: Array<[string, string | undefined]> = [];
    const off = client.subscribe((snapshot, event) => seen.push([snapshot.state, event?.event]));
    // The same status again (a repeated read): no new object, no call.
    await client.status();
    expect(client.getSnapshot()).toBe(first);
    expect(seen).toEqual([]);
    dispatchBrokerEvent(container, client.name, 'refreshed', 2, { sub: 'u1', name: 'Ada' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = client.getSnapshot();
    expect(second).not.toBe(first);
    expect(second).toMatchObject({ state: 'logged-in', claims: { sub: 'u1', name: 'Ada' }, status: { generation: 2 } });
    expect(Object.isFrozen(second)).toBe(true);
    // An event that changes nothing still reaches subscribers (with the event), the snapshot stays.
    dispatchBrokerEvent(container, client.name, 'revoked', 2, { sub: 'u1', name: 'Ada' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(client.getSnapshot()).toBe(second);
    expect(seen).toEqual([
      ['logged-in', 'refreshed'],
      ['logged-in', 'revoked'],
    ]);
    off();
    dispatchBrokerEvent(container, client.name, 'refreshed', 3);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(seen).toHaveLength(2);
  });

  it('reports each sign-out once with why: a logout in this tab, a logout in another, the server', async () => {
    const worker = new ScriptedWorker();
    const client = await connectClient(worker);
    const reasons: string[] = [];
    client.onSignedOut((reason) => reasons.push(reason));
    // This tab logs out: the reply comes first, then the worker's event to every tab.
    await client.logout();
    dispatchBrokerEvent(container, client.name, 'logged-out');
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(reasons).toEqual(['logout']);
    expect(client.getSnapshot().state).toBe('logged-out');
    // Another tab logs in, then logs out.
    dispatchBrokerEvent(container, client.name, 'login', 1);
    dispatchBrokerEvent(container, client.name, 'logged-out');
    // And once more, ended by the server: a session-ended, then a late logged-out of nothing.
    dispatchBrokerEvent(container, client.name, 'login', 1);
    dispatchBrokerEvent(container, client.name, 'session-ended');
    dispatchBrokerEvent(container, client.name, 'logged-out');
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(reasons).toEqual(['logout', 'logout', 'ended']);
  });

  it('forwards the window’s online event to a worker with an offline queue (no Background Sync in Firefox and WebKit), and asks at once when requests wait', async () => {
    const withQueue = new ScriptedWorker();
    withQueue.queuePending = 2;
    const withoutQueue = new ScriptedWorker();
    const queued = await connectClient(withQueue);
    const plain = await connectClient(withoutQueue);
    expect([queued.queuesOffline, plain.queuesOffline]).toEqual([true, false]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(withQueue.replayCalls).toBe(1); // requests waited at connect
    globalThis.dispatchEvent(new Event('online'));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect([withQueue.replayCalls, withoutQueue.replayCalls]).toEqual([2, 0]);
    expect(await queued.replayQueue()).toEqual({ pending: 0 });
    queued.close();
    globalThis.dispatchEvent(new Event('online'));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(withQueue.replayCalls).toBe(3); // the explicit call only: a closed client stops listening
  });

  it('asks again, after a second, when requests still wait after an online event (the network not usable yet)', async () => {
    const worker = new ScriptedWorker();
    worker.queuePending = 0;
    const client = await connectClient(worker);
    worker.replayAnswers = [1, 0];
    globalThis.dispatchEvent(new Event('online'));
    await new Promise((resolve) => setTimeout(resolve, 1300));
    expect(worker.replayCalls).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 2200));
    expect(worker.replayCalls).toBe(2); // nothing waits any more: no further asks
    client.close();
  });
});

describe('BrokerClient and the session a request was made in (rules 11 and 15)', () => {
  it('a 401 report names the session its token was handed out in, and getToken the session the tab knows', async () => {
    const worker = new ScriptedWorker();
    worker.refreshAt = FAR_FUTURE;
    const client = await connectClient(worker);
    await client.getAccessToken();
    expect(worker.received.find((m) => m.type === 'getToken')).toMatchObject({ session: 'sid:one' });
    worker.session = 'sid:two'; // another login, in another tab
    await client.reportUnauthorized({ failedToken: 'token-1' });
    expect(worker.received.find((m) => m.type === 'refresh')).toMatchObject({ failedToken: 'token-1', session: 'sid:one' });
  });

  it('a worker that was unregistered: calls fail at once with sw-unregistered, and the snapshot turns logged-out', async () => {
    const worker = new ScriptedWorker();
    const client = await connectClient(worker);
    expect(client.getSnapshot().state).toBe('logged-in');
    const signedOut: string[] = [];
    client.onSignedOut((reason) => signedOut.push(reason));
    (client.registration as { active: unknown }).active = null;
    Object.assign(navigator.serviceWorker, { getRegistration: async () => undefined });
    await expect(client.status()).rejects.toMatchObject({ code: 'sw-unregistered', name: 'ServiceWorkerGoneError' });
    await expect(client.getAccessToken()).rejects.toMatchObject({ code: 'sw-unregistered' });
    expect(client.getSnapshot().state).toBe('logged-out');
    expect(signedOut).toEqual(['ended']);
  });

  it('loginWithRedirect sends the authorization parameters to the worker (an undefined one left out), and navigates only when the worker accepted them', async () => {
    const worker = new ScriptedWorker();
    const client = await connectClient(worker);
    const assigned: string[] = [];
    const storage = new Map<string, string>();
    Object.assign(globalThis, { sessionStorage: { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => void storage.set(k, v), removeItem: (k: string) => void storage.delete(k) } });
    Object.assign(globalThis.location, { assign: (url: string) => void assigned.push(url), pathname: '/page', search: '' });
    const refused = await client.loginWithRedirect({ authorizationParams: { client_id: 'evil' } }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'forbidden-parameter' });
    expect(assigned).toEqual([]);
    void client.loginWithRedirect({ returnTo: '/after', authorizationParams: { prompt: 'login', max_age: 0, acr_values: undefined } });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(assigned).toEqual(['https://id.test/auth?prompt=login&max_age=0']);
    expect(worker.received.filter((m) => m.type === 'authorize').map((m) => ('authorizationParams' in m ? m.authorizationParams : undefined))).toEqual([{ client_id: 'evil' }, { prompt: 'login', max_age: 0 }]);
  });

  it('logout({ endSession: true }) logs out, then goes to the provider with this tab’s state; the return checks and clears it', async () => {
    const worker = new ScriptedWorker();
    const client = await connectClient(worker);
    const assigned: string[] = [];
    const replaced: string[] = [];
    const storage = new Map<string, string>();
    Object.assign(globalThis, {
      sessionStorage: { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => void storage.set(k, v), removeItem: (k: string) => void storage.delete(k) },
      history: { state: null, replaceState: (_state: unknown, _title: string, url: string) => void replaced.push(url) },
    });
    Object.assign(globalThis.location, { assign: (url: string) => void assigned.push(url) });
    const status = await client.logout({ endSession: true });
    expect(status.loggedIn).toBe(false);
    expect(worker.received.filter((m) => m.type === 'logout')).toEqual([expect.objectContaining({ endSession: true, check: expect.stringMatching(/^[\w-]{16,64}$/) })]);
    const state = new URL(assigned[0]!).searchParams.get('state')!;
    expect(assigned).toEqual([`https://id.test/session/end?state=${state}`]);
    // The provider sends the browser back with another state: left alone.
    (globalThis as { location?: unknown }).location = new URL('https://app.test/page?state=someone-elses&x=1');
    expect(client.takeRedirectResult()).toBe(false);
    expect(replaced).toEqual([]);
    // With this tab's: removed from the URL, and forgotten.
    (globalThis as { location?: unknown }).location = new URL(`https://app.test/page?state=${state}&x=1`);
    client.takeRedirectResult();
    expect(replaced).toEqual(['/page?x=1']);
    expect([...storage.values()]).not.toContain(state);
    // A plain logout sends no endSession and navigates nowhere.
    await client.logout();
    expect(worker.received.filter((m) => m.type === 'logout').at(-1)).not.toHaveProperty('endSession');
    expect(assigned).toHaveLength(1);
  });

  it('watchToken: the token now, the next one at its refreshAt, null at a logout, nothing after stopping', async () => {
    const worker = new ScriptedWorker();
    worker.refreshAt = Date.now() + 150;
    const client = await connectClient(worker);
    const seen: Array<string | null> = [];
    const stop = client.watchToken((token) => void seen.push(token));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(seen).toEqual(['token-1']);
    worker.current = 2;
    worker.refreshAt = Date.now() + 60_000;
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(seen).toEqual(['token-1', 'token-2']);
    // A refresh another tab made: passed on when heard, not at refreshAt.
    worker.current = 3;
    dispatchBrokerEvent(container, worker.name, 'refreshed', 3);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(seen).toEqual(['token-1', 'token-2', 'token-3']);
    dispatchBrokerEvent(container, worker.name, 'logged-out');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(seen.at(-1)).toBeNull();
    stop();
    worker.current = 4;
    dispatchBrokerEvent(container, worker.name, 'login', 4);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(seen).toEqual(['token-1', 'token-2', 'token-3', null]);
  });
});
