/**
 * sw-token-broker/sw: the service-worker half. Holds the refresh token, performs every
 * refresh for every tab, and answers the page side over postMessage.
 */
export { installTokenBroker, type InstalledTokenBroker } from './install.js';
export type { TokenBrokerConfig } from './config.js';
export { oauth2Endpoint, oidcEndpoint, type OAuth2EndpointOptions, type OidcEndpointOptions } from './adapters/oauth2.js';
export { jsonEndpoint, type JsonEndpointOptions } from './adapters/json.js';
export type { TokenEndpoint, TokenSet, EndpointContext, RedirectLogin, PendingAuthorization } from './adapters/types.js';
export { indexedDbStore, memoryStore, type SessionStore, type StoredSession } from './store.js';
export { inMemoryLocks, webLocks, type LockRunner } from './lock.js';
export { TokenBroker } from './broker.js';
export * from '../protocol/errors.js';
