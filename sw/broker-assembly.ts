/** The broker and its userinfo reader, built one way for the worker (`install.ts`) and the page-side fallback (`fallback/`). */
import { TokenBroker, type Notify, type SessionChange } from './broker.js';
import type { ResolvedTokenBrokerConfig, TokenBrokerConfig } from './config.js';
import { defaultLocks } from './lock.js';
import type { SessionStore } from './store.js';
import { UserinfoReader } from './userinfo.js';

export interface AssembledBroker {
  broker: TokenBroker;
  userinfo: UserinfoReader;
  /** The fetch the broker uses (the config's, else the global one). */
  fetch: typeof fetch;
}

/** @param onSessionChange what else a login or logout changes (the offline queue); the userinfo cache is dropped first. */
export function assembleBroker(resolved: ResolvedTokenBrokerConfig, config: TokenBrokerConfig, name: string, store: SessionStore, notify: Notify, onSessionChange?: (change: SessionChange) => Promise<void>): AssembledBroker {
  const fetchFn = config.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  let userinfo: UserinfoReader | undefined;
  const broker = new TokenBroker({
    config: resolved,
    name,
    store,
    locks: config.locks ?? defaultLocks(),
    notify,
    fetch: fetchFn,
    now: Date.now,
    onSessionChange: async (change) => {
      userinfo?.forget();
      await onSessionChange?.(change);
    },
  });
  userinfo = new UserinfoReader({ endpoint: resolved.endpoint, tokens: broker, context: (dpop) => ({ fetch: fetchFn, timeoutMs: resolved.requestTimeoutMs, dpop }) });
  return { broker, userinfo, fetch: fetchFn };
}
