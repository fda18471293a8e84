'use client';
/**
 * sw-token-broker/react: the session in React components.
 *
 * `<TokenBrokerProvider>` registers the worker once per page (StrictMode's double effects,
 * remounts and hot reloads get the same client), attaches the broker to the axios
 * instances it is given before its children render, and `useSession()` follows the
 * session through `useSyncExternalStore`. Safe to import during server rendering: nothing
 * touches the browser until an effect runs.
 *
 * @example
 * <TokenBrokerProvider scriptUrl="/sw.js" axios={api} fallback={<p>Starting…</p>}>
 *   <App />
 * </TokenBrokerProvider>
 */
import type { AxiosInstance } from 'axios';
import { createContext, createElement, useContext, useEffect, useMemo, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
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

export interface TokenBrokerProviderProps {
  /** The worker script, as for `registerTokenBroker`. */
  scriptUrl: string;
  /** Options for `registerTokenBroker` (scope, type, timeouts); read on the first render only. */
  options?: RegisterOptions;
  /** The axios instances to attach the broker to, before the children render. */
  axios?: AxiosInstance | readonly AxiosInstance[];
  /** Options for `attachTokenBroker`. */
  attachOptions?: AttachOptions;
  /** Shown until the broker is ready (default: nothing), so no request goes out before the interceptors are attached. */
  fallback?: ReactNode;
  /** Called once per sign-out, in every tab: `'logout'` (any tab) or `'ended'` (by the server). Clear cached user data here. */
  onSignedOut?: (reason: SignOutReason) => void;
  /** Called in every tab, once, before an end nothing will move (`session-expiring`), with when it ends (epoch ms): say so, save drafts. */
  onSessionExpiring?: (endsAt: number) => void;
  children?: ReactNode;
}

/** What `useSession()` returns. */
export interface Session {
  /** `starting` until the worker answered; `error` when registration failed (see `error`). */
  state: SessionSnapshot['state'] | 'error';
  status: SessionStatus | null;
  /** The id_token's claims, when the provider gave one. */
  claims: Record<string, unknown> | null;
  /** Why the broker could not start (a `BrokerError`, typically `sw-unavailable`), else null. */
  error: unknown;
  login: BrokerClient['login'];
  loginWithRedirect: BrokerClient['loginWithRedirect'];
  /** Call it from a click handler (browsers block a popup opened later). */
  loginWithPopup: BrokerClient['loginWithPopup'];
  logout: BrokerClient['logout'];
}

interface Startup {
  client: BrokerClient | null;
  error: unknown;
}

const TokenBrokerContext = createContext<Startup | null>(null);
const starting = () => STARTING_SNAPSHOT;
const noSubscription = () => () => {};

/** Registers the broker once per page and provides it to {@link useSession} and {@link useTokenBroker}. */
export function TokenBrokerProvider(props: TokenBrokerProviderProps): ReactNode {
  const [startup, setStartup] = useState<Startup>({ client: null, error: null });
  const latest = useRef(props);
  latest.current = props;
  const attach = (client: BrokerClient) => {
    attachAll(latest.current.axios, client, latest.current.attachOptions);
  };

  useEffect(() => {
    let current = true;
    registerTokenBroker(props.scriptUrl, latest.current.options).then(
      (client) => {
        // Before the children render: their first requests carry the token.
        attach(client);
        if (current) setStartup({ client, error: null });
      },
      (error: unknown) => current && setStartup({ client: null, error }),
    );
    return () => void (current = false);
  }, [props.scriptUrl]);

  const { client } = startup;
  // Instances given later are attached too (attaching is idempotent per instance).
  useEffect(() => void (client && attach(client)), [client, props.axios]);
  useEffect(() => client?.onSignedOut((reason) => latest.current.onSignedOut?.(reason)), [client]);
  useEffect(() => client?.on('session-expiring', (event) => latest.current.onSessionExpiring?.(event.status.sessionExpiresAt ?? Date.now())), [client]);

  const ready = startup.client !== null || startup.error !== null;
  return createElement(TokenBrokerContext.Provider, { value: startup }, ready ? props.children : (props.fallback ?? null));
}

/**
 * The session, re-rendering the component when it changes.
 *
 * @throws Error outside a `<TokenBrokerProvider>`.
 */
export function useSession(): Session {
  const { client, error } = useStartup('useSession');
  const snapshot = useSyncExternalStore(client?.subscribe ?? noSubscription, client?.getSnapshot ?? starting, starting);
  return useMemo(() => {
    const need = () => client ?? Promise.reject(error ?? new Error('The token broker is not ready yet'));
    return {
      state: error ? 'error' : snapshot.state,
      status: snapshot.status,
      claims: snapshot.claims,
      error,
      login: async (credentials) => (await need()).login(credentials),
      loginWithRedirect: async (options) => (await need()).loginWithRedirect(options),
      // Not `await need()` first: the popup must open in the click's own task.
      loginWithPopup: async (options) => (client ?? (await need())).loginWithPopup(options),
      logout: async (options) => (await need()).logout(options),
    };
  }, [client, error, snapshot]);
}

/** The broker's client, or null when it could not start. Children of the provider render only once it is ready. */
export function useTokenBroker(): BrokerClient | null {
  return useStartup('useTokenBroker').client;
}

/** Calls `handler` once per sign-out (see `onSignedOut` of the provider), from any component. */
export function useSignedOut(handler: (reason: SignOutReason) => void): void {
  const { client } = useStartup('useSignedOut');
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => client?.onSignedOut((reason) => latest.current(reason)), [client]);
}

function useStartup(hook: string): Startup {
  const startup = useContext(TokenBrokerContext);
  if (!startup) throw new Error(`${hook}() needs a <TokenBrokerProvider> above it`);
  return startup;
}
