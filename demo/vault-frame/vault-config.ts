/**
 * The vault's broker config, one module for its worker (`sw.ts`) and for the vault frame's
 * page-side fallback (`main.ts`, where no service worker can run): the same broker, on the vault's origin.
 */
import { jsonEndpoint } from '../../sw/adapters/json.js';
import { oidcEndpoint } from '../../sw/adapters/openid.js';
import type { TokenBrokerConfig } from '../../sw/config.js';

/** The vault's fixed configuration, from its own server: which app it serves and its identity provider. */
export interface VaultConfig {
  appOrigin: string;
  idp: 'mock' | 'oidc';
}

/** @param vaultOrigin this vault's own origin (the token endpoint and the callback are there). */
export function vaultBrokerConfig(vaultOrigin: string, { appOrigin, idp }: VaultConfig): TokenBrokerConfig {
  const { hostname } = new URL(vaultOrigin);
  return {
    name: 'demo-vault',
    mode: 'sealed',
    endpoint:
      idp === 'oidc'
        ? // Login by redirect: the provider sends the browser back to the vault's callback, in this worker's scope.
          oidcEndpoint({
            issuer: `${appOrigin}/oidc`,
            clientId: 'sw-token-broker-demo',
            redirectUri: `${vaultOrigin}/vault-frame/oidc-callback`,
            allowInsecureRequests: hostname === '127.0.0.1' || hostname === 'localhost',
          })
        : // The token endpoint is on the vault's own origin: credentials and refresh tokens never cross to the app.
          jsonEndpoint({ loginUrl: '/auth/login', refreshUrl: '/auth/refresh', logoutUrl: '/auth/logout' }),
    apiAllowlist: [`${appOrigin}/api/`],
    skipWaiting: true,
    ownsAllMessages: true,
  };
}
