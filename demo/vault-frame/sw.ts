/// <reference lib="webworker" />
/**
 * Vault mode's worker, on the vault's origin (the demo server's second port). Sealed mode:
 * it adds the token to the app's API requests, which the vault frame makes for the app's
 * pages; nothing in the app's origin ever holds a token.
 */
import { installTokenBroker, jsonEndpoint } from '../../sw/index.js';

declare const self: ServiceWorkerGlobalScope & { SW_TOKEN_BROKER_VAULT?: { appOrigin: string } };

// The vault's fixed configuration, from its own server: which app it serves (a real vault
// writes its app's origin into its code; the demo's depends on the port it was started on).
importScripts('/vault-frame/config.js');
const appOrigin = self.SW_TOKEN_BROKER_VAULT?.appOrigin ?? 'http://127.0.0.1';

installTokenBroker({
  name: 'demo-vault',
  mode: 'sealed',
  // The token endpoint is on the vault's own origin: credentials and refresh tokens never cross to the app.
  endpoint: jsonEndpoint({ loginUrl: '/auth/login', refreshUrl: '/auth/refresh', logoutUrl: '/auth/logout' }),
  apiAllowlist: [`${appOrigin}/api/`],
  skipWaiting: true,
  ownsAllMessages: true,
});
