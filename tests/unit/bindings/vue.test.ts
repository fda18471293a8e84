// @vitest-environment happy-dom
/**
 * vue/index.ts: the plugin registers at once, attaches axios before `ready`, the composables
 * follow the session as refs, `onSignedOut` lives as long as its scope, and a failed
 * registration is a state. A real BrokerClient talks to a scripted worker; only
 * `registerTokenBroker` (which needs a real service worker) is replaced.
 */
import axios from 'axios';
import { createApp, effectScope, type App } from 'vue';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ServiceWorkerUnavailableError } from '../../../protocol/index.js';
import { createTokenBroker, onSignedOut, useSession, useTokenBroker } from '../../../vue/index.js';
import { connectClient, dispatchBrokerEvent, installPageGlobals, ScriptedWorker } from '../page-helpers.js';

const register = vi.hoisted(() => ({ calls: 0, next: undefined as undefined | (() => Promise<unknown>) }));
vi.mock('sw-token-broker', async (importOriginal) => ({
  ...(await importOriginal<typeof import('sw-token-broker')>()),
  registerTokenBroker: () => (register.calls++, register.next!()),
}));

let container: ReturnType<typeof installPageGlobals>;
let worker: ScriptedWorker;

beforeEach(() => {
  container = installPageGlobals('https://app.test/page');
  worker = new ScriptedWorker();
  register.calls = 0;
  const client = connectClient(worker);
  register.next = () => client;
});

/** An app with the plugin; `run` calls composables inside it, in a scope the test can stop. */
function appWith(options: Parameters<typeof createTokenBroker>[0]) {
  const plugin = createTokenBroker(options);
  const app: App = createApp({});
  app.use(plugin);
  const scope = effectScope();
  const run = <T>(composable: () => T): T => app.runWithContext(() => scope.run(composable)!);
  return { plugin, run, scope };
}
async function announce(event: Parameters<typeof dispatchBrokerEvent>[2], generation?: number) {
  const client = (await register.next!()) as { name: string };
  dispatchBrokerEvent(container, client.name, event, generation ?? null);
  await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('the Vue plugin', () => {
  it('registers once, and the axios instances carry the interceptors by the time `ready` settles', async () => {
    const api = axios.create();
    const { plugin, run } = appWith({ scriptUrl: '/sw.js', axios: [api] });
    const session = run(useSession);
    expect(session.state.value).toBe('starting');
    await plugin.ready;
    expect((api.interceptors.request as unknown as { handlers: unknown[] }).handlers.filter(Boolean)).toHaveLength(1);
    expect(register.calls).toBe(1);
    expect(session.state.value).toBe('logged-in');
    expect(session.status.value).toMatchObject({ generation: 1 });
    expect(run(useTokenBroker)).toBe(plugin.client);
  });

  it('follows each session change as refs', async () => {
    const { plugin, run } = appWith({ scriptUrl: '/sw.js' });
    const session = run(useSession);
    await plugin.ready;
    await announce('refreshed', 2);
    expect(session.status.value).toMatchObject({ generation: 2 });
    await announce('logged-out');
    expect(session.state.value).toBe('logged-out');
  });

  it('calls the plugin option onSessionExpiring with when the session ends', async () => {
    const ends: number[] = [];
    const { plugin } = appWith({ scriptUrl: '/sw.js', onSessionExpiring: (endsAt) => ends.push(endsAt) });
    await plugin.ready;
    await announce('session-expiring');
    expect(ends).toHaveLength(1);
  });

  it('calls onSignedOut once per sign-out, from the plugin option and from the composable, and no more once its scope is stopped', async () => {
    const fromPlugin: string[] = [];
    const fromScope: string[] = [];
    const { plugin, run, scope } = appWith({ scriptUrl: '/sw.js', onSignedOut: (reason) => fromPlugin.push(reason) });
    run(() => onSignedOut((reason) => fromScope.push(reason)));
    await plugin.ready;
    await announce('session-ended');
    scope.stop();
    await announce('login', 1);
    await announce('logged-out');
    expect(fromPlugin).toEqual(['ended', 'logout']);
    expect(fromScope).toEqual(['ended']);
  });

  it('logs out through useSession: the worker is asked once', async () => {
    const { plugin, run } = appWith({ scriptUrl: '/sw.js' });
    const session = run(useSession);
    await session.logout();
    await plugin.ready;
    expect(worker.received.filter((m) => m.type === 'logout')).toHaveLength(1);
    expect(session.state.value).toBe('logged-out');
  });

  it('has state "error" and the typed error when registration fails, and rejects actions with it', async () => {
    register.next = () => Promise.reject(new ServiceWorkerUnavailableError('Service workers are not available here'));
    const { plugin, run } = appWith({ scriptUrl: '/sw.js' });
    const session = run(useSession);
    await plugin.ready;
    expect(session.state.value).toBe('error');
    expect(session.error.value).toMatchObject({ code: 'sw-unavailable' });
    await expect(session.login({ username: 'a', password: 'b' })).rejects.toMatchObject({ code: 'sw-unavailable' });
    expect(plugin.client).toBeNull();
  });

  it('names the missing plugin when a composable is used without it', () => {
    const app = createApp({});
    expect(() => app.runWithContext(useSession)).toThrow(/useSession\(\) needs the plugin: app\.use\(createTokenBroker/);
  });
});
