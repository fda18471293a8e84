// @vitest-environment happy-dom
/**
 * svelte/index.ts and the core's sessionStore: the store tells its subscribers only when the
 * session changes (not at a refresh), a failed registration is the state `error` with nothing
 * thrown, and a second `createTokenBroker` call (a hot reload of the module) gets the same
 * broker with its callbacks replaced, not added. A real BrokerClient talks to a scripted
 * worker; only `registerTokenBroker` (which needs a real service worker) is replaced.
 */
import axios from 'axios';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ServiceWorkerUnavailableError } from '../../../protocol/index.js';
import { createTokenBroker, type SessionView } from '../../../svelte/index.js';
import { connectClient, dispatchBrokerEvent, installPageGlobals, ScriptedWorker } from '../page-helpers.js';

const register = vi.hoisted(() => ({ calls: 0, next: undefined as undefined | (() => Promise<unknown>) }));
vi.mock('sw-token-broker', async (importOriginal) => ({
  ...(await importOriginal<typeof import('sw-token-broker')>()),
  registerTokenBroker: () => (register.calls++, register.next!()),
}));

let container: ReturnType<typeof installPageGlobals>;
let worker: ScriptedWorker;
let script = 0;

beforeEach(() => {
  container = installPageGlobals('https://app.test/page');
  worker = new ScriptedWorker();
  register.calls = 0;
  const client = connectClient(worker);
  register.next = () => client;
  // One broker per page and script: each test its own script.
  script++;
});

async function announce(event: Parameters<typeof dispatchBrokerEvent>[2], generation?: number, claims?: Record<string, unknown>) {
  const client = (await register.next!()) as { name: string };
  dispatchBrokerEvent(container, client.name, event, generation ?? null, claims ?? null);
  await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('the Svelte binding and the session store', () => {
  it('notifies on login and logout, not at a refresh, and attaches axios before ready', async () => {
    const api = axios.create();
    const broker = createTokenBroker({ scriptUrl: `/sw-${script}.js`, axios: api });
    const seen: SessionView[] = [];
    broker.session.subscribe((view) => seen.push(view));
    expect(seen.map((view) => view.state)).toEqual(['starting']);
    await broker.ready;
    expect((api.interceptors.request as unknown as { handlers: unknown[] }).handlers.filter(Boolean)).toHaveLength(1);
    expect(seen.at(-1)).toMatchObject({ state: 'logged-in', session: 'sid:one' });
    // Another session (a login in another tab): told.
    await announce('login', 1);
    expect(seen.at(-1)).toMatchObject({ state: 'logged-in', session: 'sid:test' });
    const afterStart = seen.length;
    await announce('refreshed', 2);
    await announce('refreshed', 3);
    expect(seen).toHaveLength(afterStart);
    await announce('refreshed', 4, { name: 'Renamed' });
    expect(seen).toHaveLength(afterStart + 1);
    await announce('logged-out');
    expect(seen.at(-1)).toMatchObject({ state: 'logged-out', session: null });
    expect(seen).toHaveLength(afterStart + 2);
  });

  it('is state error with the typed error when registration fails: nothing thrown, ready settles with null, actions reject', async () => {
    register.next = () => Promise.reject(new ServiceWorkerUnavailableError('Service workers are not available here'));
    const broker = createTokenBroker({ scriptUrl: `/sw-${script}.js` });
    expect(await broker.ready).toBeNull();
    expect(broker.session.get()).toMatchObject({ state: 'error', error: { code: 'sw-unavailable' } });
    await expect(broker.login({ username: 'a', password: 'b' })).rejects.toThrow(/could not start/);
    // Not kept: the next call (after the fix) registers again.
    register.next = () => connectClient(worker);
    expect(await createTokenBroker({ scriptUrl: `/sw-${script}.js` }).ready).not.toBeNull();
    expect(register.calls).toBe(2);
  });

  it('a second call (a hot reload) gets the same broker and replaces its sign-out callback instead of adding one', async () => {
    const first: string[] = [];
    const second: string[] = [];
    const a = createTokenBroker({ scriptUrl: `/sw-${script}.js`, onSignedOut: (reason) => first.push(reason) });
    await a.ready;
    const b = createTokenBroker({ scriptUrl: `/sw-${script}.js`, onSignedOut: (reason) => second.push(reason) });
    expect(b).toBe(a);
    expect(register.calls).toBe(1);
    await announce('logged-out');
    expect(first).toEqual([]);
    expect(second).toEqual(['logout']);
  });

  it('onSignedOut from a component stops when its removal runs (onDestroy)', async () => {
    const broker = createTokenBroker({ scriptUrl: `/sw-${script}.js` });
    const heard: string[] = [];
    const off = broker.onSignedOut((reason) => heard.push(reason));
    await broker.ready;
    await announce('session-ended');
    off();
    await announce('login', 1);
    await announce('logged-out');
    expect(heard).toEqual(['ended']);
  });
});
