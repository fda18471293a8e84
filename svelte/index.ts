/**
 * sw-token-broker/svelte: the session in Svelte (5, and 4), as a store.
 *
 * `createTokenBroker({ scriptUrl, axios })` registers the worker once per page, attaches the
 * broker to the given axios instances, and returns `session`, a store that changes only when
 * the session does (not at every refresh: see `sessionStore`). A failed registration is the
 * state `error`, never an uncaught error. Hot reloads of the module that calls it get the same
 * broker, and its callbacks are replaced, not added. Needs nothing from `svelte` itself: the
 * store contract is plain.
 *
 * @example
 * // auth.ts
 * export const broker = createTokenBroker({ scriptUrl: '/sw.js', axios: api });
 * // App.svelte
 * <script>import { broker } from './auth'; const session = broker.session;</script>
 * {#if $session.state === 'logged-in'}Hello {$session.claims?.name}{/if}
 */
import { attachAll, type AxiosInstances } from '../bindings/attach-all.js';
import { registerTokenBroker, sessionStore, type AttachOptions, type BrokerClient, type RegisterOptions, type SessionStore, type SignOutReason } from 'sw-token-broker';

export type { SessionStore, SessionView } from 'sw-token-broker';

export interface TokenBrokerOptions {
  /** The worker script, as for `registerTokenBroker`. */
  scriptUrl: string;
  /** Options for `registerTokenBroker` (scope, type, timeouts, fallback); the first call's apply. */
  options?: RegisterOptions;
  /** The axios instances to attach the broker to. */
  axios?: AxiosInstances;
  /** Options for `attachTokenBroker`. */
  attachOptions?: AttachOptions;
  /** Called once per sign-out, in every tab: `'logout'` (any tab) or `'ended'` (by the server). The latest call's handler is the one called. */
  onSignedOut?: (reason: SignOutReason) => void;
  /** Called in every tab, once, before an end nothing will move (`session-expiring`), with when it ends (epoch ms). */
  onSessionExpiring?: (endsAt: number) => void;
}

/** What `createTokenBroker` returns: the session store, and its actions. */
export interface TokenBroker {
  /** The session: `$session.state`, `$session.claims`, `$session.error`. */
  readonly session: SessionStore;
  /** Settles with the client once registered and attached, or with null when it could not start (then `state` is `error`); never rejects. */
  readonly ready: Promise<BrokerClient | null>;
  /** The client once ready, else null. */
  readonly client: BrokerClient | null;
  login: BrokerClient['login'];
  loginWithRedirect: BrokerClient['loginWithRedirect'];
  /** Call it from a click handler (browsers block a popup opened later). */
  loginWithPopup: BrokerClient['loginWithPopup'];
  logout: BrokerClient['logout'];
  /** Calls `handler` once per sign-out until the returned function is called (pass it to `onDestroy`). */
  onSignedOut(handler: (reason: SignOutReason) => void): () => void;
}

interface Instance {
  broker: TokenBroker;
  /** The callbacks of the latest `createTokenBroker` call: a hot reload replaces them. */
  latest: TokenBrokerOptions;
}

/** One broker per page and script, across hot reloads of the modules that create it (which re-run, while the page stays). */
const instances: Map<string, Instance> = ((globalThis as Record<symbol, unknown>)[Symbol.for('sw-token-broker/svelte')] ??= new Map()) as Map<string, Instance>;

/** Registers the broker (once per page and script; never during server rendering) and returns its session store and actions. */
export function createTokenBroker(options: TokenBrokerOptions): TokenBroker {
  if (typeof options?.scriptUrl !== 'string' || options.scriptUrl === '') throw new TypeError('createTokenBroker needs the worker script URL (scriptUrl)');
  const key = `${options.scriptUrl} ${options.options?.scope ?? ''}`;
  const known = typeof window === 'undefined' ? undefined : instances.get(key);
  if (known) {
    known.latest = options;
    // Instances given after a reload are attached too (attaching is idempotent per instance).
    void known.broker.ready.then((client) => client && attachAll(options.axios, client, options.attachOptions));
    return known.broker;
  }
  const instance: Instance = { latest: options, broker: undefined as unknown as TokenBroker };
  let client: BrokerClient | null = null;
  const started =
    typeof window === 'undefined'
      ? new Promise<BrokerClient>(() => {}) // on the server: `starting`, and nothing registered
      : registerTokenBroker(options.scriptUrl, options.options).then((broker) => {
          attachAll(instance.latest.axios, broker, instance.latest.attachOptions);
          broker.onSignedOut((reason) => instance.latest.onSignedOut?.(reason));
          broker.on('session-expiring', (event) => instance.latest.onSessionExpiring?.(event.status.sessionExpiresAt ?? Date.now()));
          client = broker;
          return broker;
        });
  const ready = started.then(
    (broker) => broker,
    () => null,
  );
  const need = async () => (await started.catch(() => undefined)) ?? Promise.reject(new Error('The token broker could not start: see $session.error'));
  instance.broker = {
    session: sessionStore(started),
    ready,
    get client() {
      return client;
    },
    login: async (credentials) => (await need()).login(credentials),
    loginWithRedirect: async (redirect) => (await need()).loginWithRedirect(redirect),
    // Straight to the client when it is ready: the popup must open in the click's own task.
    loginWithPopup: (popup) => (client ? client.loginWithPopup(popup) : need().then((broker) => broker.loginWithPopup(popup))),
    logout: async (logout) => (await need()).logout(logout),
    onSignedOut(handler) {
      let off: (() => void) | undefined;
      let removed = false;
      void ready.then((broker) => {
        if (broker && !removed) off = broker.onSignedOut(handler);
      });
      return () => {
        removed = true;
        off?.();
      };
    },
  };
  if (typeof window !== 'undefined') {
    instances.set(key, instance);
    // A failed start is not kept: the next call (a reload after the fix) tries again.
    void ready.then((broker) => broker === null && instances.get(key) === instance && instances.delete(key));
  }
  return instance.broker;
}
