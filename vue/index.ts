/**
 * sw-token-broker/vue: the session in Vue 3 components.
 *
 * `app.use(createTokenBroker({ scriptUrl, axios }))` registers the worker once per page
 * and attaches the broker to the given axios instances; `await` its `ready` before
 * `app.mount()` so the first requests carry the token. `useSession()` gives readonly refs.
 *
 * @example
 * const broker = createTokenBroker({ scriptUrl: '/sw.js', axios: api });
 * const app = createApp(App).use(broker);
 * await broker.ready;
 * app.mount('#app');
 */
import type { AxiosInstance } from 'axios';
import { computed, inject, onScopeDispose, shallowRef, type App, type ComputedRef, type InjectionKey, type ShallowRef } from 'vue';
import { attachAll } from '../bindings/attach-all.js';
import {
  registerTokenBroker,
  STARTING_SNAPSHOT,
  type AttachOptions,
  type BrokerClient,
  type RegisterOptions,
  type SessionSnapshot,
  type SessionStatus,
  type SignOutReason,
} from 'sw-token-broker';

export interface TokenBrokerPluginOptions {
  /** The worker script, as for `registerTokenBroker`. */
  scriptUrl: string;
  /** Options for `registerTokenBroker` (scope, type, timeouts). */
  options?: RegisterOptions;
  /** The axios instances to attach the broker to. */
  axios?: AxiosInstance | readonly AxiosInstance[];
  /** Options for `attachTokenBroker`. */
  attachOptions?: AttachOptions;
  /** Called once per sign-out, in every tab: `'logout'` (any tab) or `'ended'` (by the server). */
  onSignedOut?: (reason: SignOutReason) => void;
  /** Called in every tab, once, before an end nothing will move (`session-expiring`), with when it ends (epoch ms). */
  onSessionExpiring?: (endsAt: number) => void;
}

/** The plugin `createTokenBroker` returns. */
export interface TokenBrokerPlugin {
  install(app: App): void;
  /** Settles once the broker is registered and attached, or failed to start (then `useSession().state` is `'error'`); never rejects. At once during server rendering. */
  readonly ready: Promise<void>;
  /** The client, once ready; null before, or when it could not start. */
  readonly client: BrokerClient | null;
}

/** What `useSession()` returns: readonly refs, and the session's actions. */
export interface Session {
  /** `starting` until the worker answered; `error` when registration failed (see `error`). */
  state: ComputedRef<SessionSnapshot['state'] | 'error'>;
  status: ComputedRef<SessionStatus | null>;
  /** The id_token's claims, when the provider gave one. */
  claims: ComputedRef<Record<string, unknown> | null>;
  /** Why the broker could not start (a `BrokerError`, typically `sw-unavailable`), else null. */
  error: ComputedRef<unknown>;
  login: BrokerClient['login'];
  loginWithRedirect: BrokerClient['loginWithRedirect'];
  /** Call it from a click handler (browsers block a popup opened later). */
  loginWithPopup: BrokerClient['loginWithPopup'];
  logout: BrokerClient['logout'];
}

interface Store {
  client: ShallowRef<BrokerClient | null>;
  snapshot: ShallowRef<SessionSnapshot>;
  error: ShallowRef<unknown>;
  ready: Promise<void>;
}

const KEY: InjectionKey<Store> = Symbol('sw-token-broker');

/** Creates the plugin; registration starts at once in a browser (never during server rendering). */
export function createTokenBroker(options: TokenBrokerPluginOptions): TokenBrokerPlugin {
  const client = shallowRef<BrokerClient | null>(null);
  const snapshot = shallowRef<SessionSnapshot>(STARTING_SNAPSHOT);
  const error = shallowRef<unknown>(null);
  const start = async () => {
    const broker = await registerTokenBroker(options.scriptUrl, options.options);
    attachAll(options.axios, broker, options.attachOptions);
    snapshot.value = broker.getSnapshot();
    broker.subscribe((next) => (snapshot.value = next));
    if (options.onSignedOut) broker.onSignedOut(options.onSignedOut);
    const { onSessionExpiring } = options;
    if (onSessionExpiring) broker.on('session-expiring', (event) => onSessionExpiring(event.status.sessionExpiresAt ?? Date.now()));
    client.value = broker;
  };
  // On the server nothing starts: `ready` settles at once and the session stays `starting`.
  const ready = typeof window === 'undefined' ? Promise.resolve() : start().catch((failure: unknown) => void (error.value = failure));
  const store: Store = { client, snapshot, error, ready };
  return {
    install: (app) => void app.provide(KEY, store),
    ready,
    get client() {
      return client.value;
    },
  };
}

/**
 * The session as readonly refs, and its actions.
 *
 * @throws Error outside an app that uses the plugin.
 */
export function useSession(): Session {
  const { client, snapshot, error, ready } = useStore('useSession');
  const need = async () => {
    await ready;
    return client.value ?? Promise.reject(error.value);
  };
  return {
    state: computed(() => (error.value ? 'error' : snapshot.value.state)),
    status: computed(() => snapshot.value.status),
    claims: computed(() => snapshot.value.claims),
    error: computed(() => error.value),
    login: async (credentials) => (await need()).login(credentials),
    loginWithRedirect: async (redirect) => (await need()).loginWithRedirect(redirect),
    // Straight to the client when it is ready: the popup must open in the click's own task.
    loginWithPopup: (options) => (client.value ? client.value.loginWithPopup(options) : need().then((ready) => ready.loginWithPopup(options))),
    logout: async (options) => (await need()).logout(options),
  };
}

/** The broker's client, or null before it is ready or when it could not start. */
export function useTokenBroker(): BrokerClient | null {
  return useStore('useTokenBroker').client.value;
}

/** Calls `handler` once per sign-out while the calling component (or effect scope) lives. */
export function onSignedOut(handler: (reason: SignOutReason) => void): void {
  const { ready, client } = useStore('onSignedOut');
  let off: (() => void) | undefined;
  let disposed = false;
  void ready.then(() => {
    if (!disposed) off = client.value?.onSignedOut(handler);
  });
  onScopeDispose(() => {
    disposed = true;
    off?.();
  });
}

function useStore(composable: string): Store {
  const store = inject(KEY, null);
  if (!store) throw new Error(`${composable}() needs the plugin: app.use(createTokenBroker({ ... }))`);
  return store;
}
