// @vitest-environment happy-dom
/**
 * react/index.ts: the provider registers once and attaches axios before its children render,
 * `useSession()` follows the session, `onSignedOut` fires once per sign-out (StrictMode
 * included), a failed registration is a state, not a blank page. A real BrokerClient talks to a
 * scripted worker; only `registerTokenBroker` (which needs a real service worker) is replaced.
 */
import axios from 'axios';
import { act, createElement, StrictMode, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ServiceWorkerUnavailableError } from '../../../protocol/index.js';
import { TokenBrokerProvider, useSession, useSignedOut, useTokenBroker, type Session } from '../../../react/index.js';
import { connectClient, dispatchBrokerEvent, installPageGlobals, ScriptedWorker } from '../page-helpers.js';

const register = vi.hoisted(() => ({ calls: 0, next: undefined as undefined | (() => Promise<unknown>) }));
vi.mock('sw-token-broker', async (importOriginal) => ({
  ...(await importOriginal<typeof import('sw-token-broker')>()),
  registerTokenBroker: () => (register.calls++, register.next!()),
}));

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
let container: ReturnType<typeof installPageGlobals>;
let worker: ScriptedWorker;
let root: Root;

beforeEach(() => {
  container = installPageGlobals('https://app.test/page');
  worker = new ScriptedWorker();
  register.calls = 0;
  // Like the real registration: one client per page, however often it is asked.
  const client = connectClient(worker);
  register.next = () => client;
  root = createRoot(document.createElement('div'));
});
afterEach(() => act(() => root.unmount()));

/** Renders `tree` and waits until the registration settled and React re-rendered. */
async function render(tree: ReactNode) {
  await act(async () => root.render(tree));
  await act(() => new Promise((resolve) => setTimeout(resolve, 20)));
}
const settle = () => act(() => new Promise((resolve) => setTimeout(resolve, 20)));
/** The worker's event to every tab, and React's re-render. */
async function announce(event: Parameters<typeof dispatchBrokerEvent>[2], generation?: number) {
  const client = (await register.next!()) as { name: string };
  await act(async () => {
    dispatchBrokerEvent(container, client.name, event, generation ?? null);
    await new Promise((resolve) => setTimeout(resolve, 20));
  });
}

/** A child that records what it sees at each render. */
function recorder() {
  const seen: Array<{ state: Session['state']; generation: number | null | undefined; interceptors: number; client: boolean }> = [];
  const api = axios.create();
  function Child() {
    const session = useSession();
    const client = useTokenBroker();
    const handlers = (api.interceptors.request as unknown as { handlers: unknown[] }).handlers.filter(Boolean);
    seen.push({ state: session.state, generation: session.status?.generation, interceptors: handlers.length, client: client !== null });
    return null;
  }
  return { seen, api, Child };
}

describe('the React provider', () => {
  it('shows the fallback until the broker answered, then renders the children with axios already attached (StrictMode)', async () => {
    const { seen, api, Child } = recorder();
    await render(
      createElement(StrictMode, null, createElement(TokenBrokerProvider, { scriptUrl: '/sw.js', axios: api, fallback: createElement(Child) }, createElement(Child))),
    );
    // The fallback renders `Child` too, before the client exists: no session yet, no interceptor.
    expect(seen[0]).toEqual({ state: 'starting', generation: undefined, interceptors: 0, client: false });
    const children = seen.filter((s) => s.client);
    expect(children.length).toBeGreaterThan(0);
    // Every render of the children saw the interceptors in place and the session as the worker has it.
    for (const s of children) expect(s).toMatchObject({ state: 'logged-in', generation: 1, interceptors: 1 });
  });

  it('re-renders on every session change the worker announces, and only the snapshot changes it', async () => {
    const { seen, Child } = recorder();
    await render(createElement(TokenBrokerProvider, { scriptUrl: '/sw.js' }, createElement(Child)));
    await announce('refreshed', 2);
    expect(seen.at(-1)).toMatchObject({ state: 'logged-in', generation: 2 });
    await announce('logged-out');
    expect(seen.at(-1)).toMatchObject({ state: 'logged-out' });
  });

  it('calls onSignedOut once per sign-out under StrictMode, from the provider and from useSignedOut', async () => {
    const fromProvider: string[] = [];
    const fromHook: string[] = [];
    function Listener() {
      useSignedOut((reason) => fromHook.push(reason));
      return null;
    }
    await render(
      createElement(StrictMode, null, createElement(TokenBrokerProvider, { scriptUrl: '/sw.js', onSignedOut: (reason) => fromProvider.push(reason) }, createElement(Listener))),
    );
    await announce('session-ended');
    await announce('login', 1);
    await announce('logged-out');
    expect(fromProvider).toEqual(['ended', 'logout']);
    expect(fromHook).toEqual(['ended', 'logout']);
  });

  it('stops calling onSignedOut once the provider is unmounted', async () => {
    const reasons: string[] = [];
    await render(createElement(TokenBrokerProvider, { scriptUrl: '/sw.js', onSignedOut: (reason) => reasons.push(reason) }));
    await announce('logged-out');
    await act(async () => root.render(null));
    await announce('login', 1);
    await announce('logged-out');
    expect(reasons).toEqual(['logout']);
  });

  it('calls onSessionExpiring with when the session ends, while mounted', async () => {
    const ends: number[] = [];
    await render(createElement(TokenBrokerProvider, { scriptUrl: '/sw.js', onSessionExpiring: (endsAt) => ends.push(endsAt) }));
    await announce('session-expiring');
    expect(ends).toHaveLength(1);
    await act(async () => root.render(null));
    await announce('session-expiring');
    expect(ends).toHaveLength(1);
  });

  it('logs out through useSession: the worker is asked once and the session reads logged-out', async () => {
    let session: Session | undefined;
    function Child() {
      session = useSession();
      return null;
    }
    await render(createElement(TokenBrokerProvider, { scriptUrl: '/sw.js' }, createElement(Child)));
    await act(() => session!.logout());
    await settle();
    expect(worker.received.filter((m) => m.type === 'logout')).toHaveLength(1);
    expect(session!.state).toBe('logged-out');
  });

  it('renders the children with state "error" and the typed error when registration fails, and throws nothing', async () => {
    register.next = () => Promise.reject(new ServiceWorkerUnavailableError('Service workers are not available here'));
    const { seen, Child } = recorder();
    let session: Session | undefined;
    function Reader() {
      session = useSession();
      return null;
    }
    await render(createElement(TokenBrokerProvider, { scriptUrl: '/sw.js', fallback: null }, createElement(Child), createElement(Reader)));
    expect(seen.at(-1)).toMatchObject({ state: 'error', client: false });
    expect(session!.error).toMatchObject({ code: 'sw-unavailable' });
    await expect(session!.logout()).rejects.toMatchObject({ code: 'sw-unavailable' });
  });

  it('names the missing provider when a hook is used outside it', async () => {
    const errors: unknown[] = [];
    function Orphan() {
      try {
        useSession();
      } catch (error) {
        errors.push(error);
      }
      return null;
    }
    await render(createElement(Orphan));
    expect(String(errors[0])).toMatch(/useSession\(\) needs a <TokenBrokerProvider> above it/);
  });
});
