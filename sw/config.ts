/** The broker's configuration, fixed in the worker's code. No page message can change it. */
import { parseAllowlist, type AllowlistEntry, type BrokerMode } from '../protocol/index.js';
import { endpointMistake } from './adapters/misconfigured.js';
import type { TokenEndpoint } from './adapters/types.js';
import type { SessionStore } from './store.js';
import type { LockRunner } from './lock.js';
import { resolveApis, type ApiTarget, type ApiTokenRequest } from './api-tokens.js';
import { resolveSessionLimits, type SessionLifetimeOptions, type SessionLimits } from './session-lifetime.js';
import { resolveOfflineQueue, type OfflineQueueSetup, type ResolvedOfflineQueueOptions } from './offline-queue-options.js';

/** How long one token-endpoint request may take before the worker gives up on it. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** How long the worker waits for the refresh lock. */
export const DEFAULT_LOCK_TIMEOUT_MS = 20_000;

export interface TokenBrokerConfig {
  /** The token endpoint adapter: `oauth2Endpoint(...)` or `jsonEndpoint(...)`. */
  endpoint: TokenEndpoint;
  /**
   * URLs that may receive the access token: an origin (`https://api.example.com`) or an
   * origin with a path prefix (`https://api.example.com/v1/`). Scheme, host and port match exactly.
   */
  apiAllowlist: readonly string[];
  /**
   * One access token per API: allowlist entries mapped to what the provider needs to issue
   * a token for that API (an `audience`, Auth0-style, or an RFC 8707 `resource`, and a
   * `scope`). Each API's token comes from the refresh-token grant with those parameters, and
   * goes only to that entry's URLs; every other entry gets the login's token. Needs an OAuth
   * adapter (`oauth2Endpoint`, `oidcEndpoint`).
   *
   * @example apis: { 'https://graph.example.com/': { audience: 'https://graph.example.com', scope: 'mail.read' } }
   */
  apis?: Readonly<Record<string, ApiTokenRequest>>;
  /** `handoff` (default): pages get the access token. `sealed`: the worker adds it to requests itself. */
  mode?: BrokerMode;
  /** Storage namespace; two brokers on one origin need different names. Default: the registration scope. */
  name?: string;
  /** `indexeddb` (default) survives worker restarts; `memory` keeps the refresh token out of storage but dies with the worker. */
  storage?: 'indexeddb' | 'memory';
  /**
   * Sender-constrained tokens (DPoP, RFC 9449): a non-extractable key pair per session, a
   * proof on every token request and every API request. Needs `mode: 'sealed'` (a page
   * cannot make proofs without the key) and an OAuth adapter.
   *
   * A token response that is not `token_type: DPoP` (a server that ignores DPoP, a proxy
   * that strips the header) is refused: the tokens it issued are revoked, a login fails
   * with `misconfigured` and a refresh ends the session, so unbound tokens are never used
   * in the belief they are bound. `{ allowUnbound: true }` accepts them, for servers that
   * bind only some clients; `status().dpopBound` then says which the session got.
   */
  dpop?: boolean | { allowUnbound?: boolean };
  /**
   * Keeps writes made offline and replays them, signed with a fresh token, when the
   * network returns: `backgroundSyncQueue(options)` (workbox-background-sync underneath; see
   * docs/recipes.md). By default POST, PUT, PATCH and DELETE to the allowlist, kept 24 h, at most 50.
   * A write that fails with a network error is stored without its `Authorization` and
   * answered `202 Accepted` with the `x-sw-token-broker-queued` header; the page hears
   * `queued`, then `replayed` or `dropped`. Off by default.
   */
  offlineQueue?: OfflineQueueSetup;
  /**
   * The session's limits where the provider does not say them (`idleTimeoutSeconds`,
   * `absoluteLifetimeSeconds`), the `session-expiring` warning (`warnBeforeSeconds`, default
   * 60), and the keep-alive that refreshes before an idle deadline while a tab is open
   * (`keepAlive`: true by default, `'visible'`, or false). See docs/configuration.md.
   */
  session?: SessionLifetimeOptions;
  /** Refresh this long before expiry (default 30 s)... */
  refreshSkewSeconds?: number;
  /** ...but never more than this fraction of the token's lifetime (default 0.2). */
  maxSkewFraction?: number;
  /** Lifetime assumed when the server gives neither `expires_in` nor a JWT `exp` (default 300 s). */
  defaultAccessLifetimeSeconds?: number;
  /** Bound on each token endpoint request (default 10 s). */
  requestTimeoutMs?: number;
  /** Bound on waiting for the refresh lock (default 20 s). */
  lockTimeoutMs?: number;
  /** Call `clients.claim()` on activation so open tabs are served at once (default true; Workbox's name). */
  clientsClaim?: boolean;
  /** @deprecated Use `clientsClaim` (Workbox's and vite-plugin-pwa's name); still accepted. */
  claimClients?: boolean;
  /** Call `skipWaiting()` on install so a new version takes over at once (default false: the app decides). */
  skipWaiting?: boolean;
  /**
   * Set when the broker is the worker's only message handler: then messages without the
   * broker's tag get a `malformed-message` reply instead of being left to other handlers.
   */
  ownsAllMessages?: boolean;
  /**
   * Extension point: the `fetch` the adapters and the sealed-mode signing use (default the
   * worker's own). For instrumentation, a proxy, or tests without a network.
   */
  fetch?: typeof fetch;
  /**
   * Extension point: where the session lives, instead of the one `storage` picks
   * (`indexedDbStore(name)` or `memoryStore()`). Your own must resolve writes once durable.
   */
  store?: SessionStore;
  /**
   * Extension point: how refreshes are serialised (default: Web Locks, else
   * `inMemoryLocks()`). Every wait must be bounded.
   */
  locks?: LockRunner;
}

/** The config with defaults applied and inputs checked; `installTokenBroker` returns it. */
export interface ResolvedTokenBrokerConfig {
  endpoint: TokenEndpoint;
  allowlist: AllowlistEntry[];
  apiAllowlist: string[];
  /** The APIs with a token of their own (`config.apis`). */
  apis: ApiTarget[];
  mode: BrokerMode;
  storage: 'indexeddb' | 'memory';
  dpop: boolean;
  /** `dpop: { allowUnbound: true }`: tokens the server did not bind are used (as Bearer) instead of refused. */
  dpopAllowUnbound: boolean;
  skewMs: number;
  maxSkewFraction: number;
  defaultLifetimeMs: number;
  requestTimeoutMs: number;
  lockTimeoutMs: number;
  clientsClaim: boolean;
  skipWaiting: boolean;
  ownsAllMessages: boolean;
  /** The session's known limits, the warning and the keep-alive. */
  session: SessionLimits;
  /** Undefined when the offline queue is off. */
  offlineQueue: ResolvedOfflineQueueOptions | undefined;
}

/**
 * Checks a config and applies defaults.
 *
 * @throws {TypeError} on a caller mistake (missing endpoint, an adapter built from bad
 *   options, bad allowlist, out-of-range number).
 */
export function resolveConfig(config: TokenBrokerConfig): ResolvedTokenBrokerConfig {
  if (typeof config !== 'object' || config === null) throw new TypeError('installTokenBroker needs a config object');
  const { endpoint } = config;
  if (typeof endpoint !== 'object' || endpoint === null || typeof endpoint.refresh !== 'function') {
    throw new TypeError('config.endpoint must be a token endpoint adapter (oauth2Endpoint(...) or jsonEndpoint(...))');
  }
  const mistake = endpointMistake(endpoint);
  if (mistake) throw mistake;
  if (typeof endpoint.login !== 'function' && !endpoint.redirectLogin) {
    throw new TypeError('config.endpoint must offer a login: login(credentials) or redirectLogin');
  }
  const mode = config.mode ?? 'handoff';
  if (mode !== 'handoff' && mode !== 'sealed') throw new TypeError(`config.mode must be 'handoff' or 'sealed', not ${String(mode)}`);
  const storage = config.storage ?? 'indexeddb';
  if (storage !== 'indexeddb' && storage !== 'memory') throw new TypeError(`config.storage must be 'indexeddb' or 'memory'`);
  const dpopOption = config.dpop ?? false;
  const dpopObject = typeof dpopOption === 'object' && dpopOption !== null;
  if (typeof dpopOption !== 'boolean' && !dpopObject) throw new TypeError('config.dpop must be a boolean or { allowUnbound: boolean }');
  const dpop = dpopObject || dpopOption === true;
  const dpopAllowUnbound = dpopObject ? (dpopOption.allowUnbound ?? false) : false;
  if (typeof dpopAllowUnbound !== 'boolean') throw new TypeError('config.dpop.allowUnbound must be a boolean');
  if (dpop && typeof endpoint.dpopFetch !== 'function') throw new TypeError('config.dpop needs an endpoint that sends DPoP proofs (oauth2Endpoint or oidcEndpoint)');
  const allowlist = parseAllowlist(config.apiAllowlist);
  if (allowlist.length === 0) throw new TypeError('config.apiAllowlist must name at least one API origin');
  const apis = resolveApis(config.apis, config.apiAllowlist);
  if (apis.length > 0 && endpoint.sendsGrantParameters !== true) throw new TypeError('config.apis needs an endpoint that sends audience/resource on the refresh grant (oauth2Endpoint or oidcEndpoint)');
  return {
    endpoint,
    allowlist,
    apiAllowlist: [...config.apiAllowlist],
    apis,
    mode,
    storage,
    dpop,
    dpopAllowUnbound,
    skewMs: seconds(config.refreshSkewSeconds, 30, 'refreshSkewSeconds') * 1000,
    maxSkewFraction: fraction(config.maxSkewFraction, 0.2),
    defaultLifetimeMs: seconds(config.defaultAccessLifetimeSeconds, 300, 'defaultAccessLifetimeSeconds') * 1000,
    requestTimeoutMs: milliseconds(config.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS, 'requestTimeoutMs'),
    lockTimeoutMs: milliseconds(config.lockTimeoutMs, DEFAULT_LOCK_TIMEOUT_MS, 'lockTimeoutMs'),
    clientsClaim: config.clientsClaim ?? config.claimClients ?? true,
    skipWaiting: config.skipWaiting ?? false,
    ownsAllMessages: config.ownsAllMessages ?? false,
    offlineQueue: resolveOfflineQueue(config.offlineQueue),
    session: resolveSessionLimits(config.session),
  };
}

function seconds(value: number | undefined, fallback: number, label: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`config.${label} must be a number of seconds >= 0`);
  return value;
}

function milliseconds(value: number | undefined, fallback: number, label: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`config.${label} must be a number of ms > 0`);
  return value;
}

function fraction(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new TypeError('config.maxSkewFraction must be between 0 and 1');
  return value;
}
