/// <reference lib="webworker" />
/**
 * Vault mode's worker, on the vault's origin (the demo server's second port). Sealed mode:
 * it adds the token to the app's API requests, which the vault frame makes for the app's
 * pages; nothing in the app's origin ever holds a token.
 */
import { installTokenBroker, jsonEndpoint, oidcEndpoint } from '../../sw/index.js';

interface VaultConfig {
  appOrigin: string;
  idp: 'mock' | 'oidc';
}
declare const self: ServiceWorkerGlobalScope & { SW_TOKEN_BROKER_VAULT?: VaultConfig };

// The vault's fixed configuration, from its own server: which app it serves and its
// identity provider (a real vault writes these into its code; the demo's depend on how the
// server was started).
importScripts('/vault-frame/config.js');
const { appOrigin, idp } = self.SW_TOKEN_BROKER_VAULT ?? { appOrigin: 'http://127.0.0.1', idp: 'mock' };
const loopback = self.location.hostname === '127.0.0.1' || self.location.hostname === 'localhost';

installTokenBroker({
  name: 'demo-vault',
  mode: 'sealed',
  endpoint:
    idp === 'oidc'
      ? // Login by redirect: the provider sends the browser back to the vault's callback, in this worker's scope.
        oidcEndpoint({
          issuer: `${appOrigin}/oidc`,
          clientId: 'sw-token-broker-demo',
          redirectUri: `${self.location.origin}/vault-frame/oidc-callback`,
          allowInsecureRequests: loopback,
        })
      : // The token endpoint is on the vault's own origin: credentials and refresh tokens never cross to the app.
        jsonEndpoint({ loginUrl: '/auth/login', refreshUrl: '/auth/refresh', logoutUrl: '/auth/logout' }),
  apiAllowlist: [`${appOrigin}/api/`],
  skipWaiting: true,
  ownsAllMessages: true,
});
