/**
 * sw-token-broker/sw: the service-worker half. Holds the refresh token, performs every
 * refresh for every tab, and answers the page side over postMessage.
 *
 * A deliberate list: what an app's worker or a custom token-endpoint adapter needs, and
 * every type that appears in a public signature. The broker's internals (message
 * validation, the lock primitives, database names, wire-error helpers) are not exported.
 */
// Installing the broker.
export { installTokenBroker, type InstalledTokenBroker } from './install.js';
export type { TokenBrokerConfig, ResolvedTokenBrokerConfig } from './config.js';
export type { TokenBroker } from './broker.js';

// The offline queue: writes made offline, replayed with a fresh token.
export { backgroundSyncQueue } from './background-sync.js';
export type { OfflineQueueOptions, OfflineQueueSetup } from './offline-queue-options.js';

// Token-endpoint adapters, and what a custom one implements.
export { oauth2Endpoint, type OAuth2EndpointOptions } from './adapters/oauth2.js';
export { oidcEndpoint, type OidcEndpointOptions } from './adapters/openid.js';
export { jsonEndpoint, type JsonEndpointOptions } from './adapters/json.js';
export type { TokenEndpoint, TokenSet, EndpointContext, RedirectLogin, PendingAuthorization, DpopFetch } from './adapters/types.js';
export type { DpopKey } from './dpop.js';

// Extension points of the config: `store` and `locks`.
export { indexedDbStore, memoryStore, type SessionStore, type StoredSession, type StoredPendingLogin } from './store.js';
export { inMemoryLocks, type LockRunner } from './lock.js';

// Errors an adapter rejects with, and the guards that work across realms.
export {
  BrokerError,
  LoginFailedError,
  MisconfiguredError,
  RefreshUnavailableError,
  SessionEndedError,
  ErrorCode,
  hasErrorCode,
  isBrokerError,
} from '../protocol/errors.js';
export type { ErrorDetails } from '../protocol/errors.js';
export type { BrokerMode, SessionStatus, TokenResult, HandoffTokenResult, SealedTokenResult, FailedCredential, QueuedRequest, DropReason } from '../protocol/messages.js';
