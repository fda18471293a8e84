/**
 * The main demo's broker config, one module for its worker (`sw.ts`, `oidc-sw.ts`) and for the
 * page-side fallback (`registerTokenBroker(…, { fallback })`, where no service worker can run):
 * both run the same broker against the same endpoints.
 */
import { jsonEndpoint } from '../sw/adapters/json.js';
import { oidcEndpoint } from '../sw/adapters/openid.js';
import type { TokenBrokerConfig } from '../sw/config.js';

/** Against the mock server's JSON endpoints on `origin`; tokens may go to its /api/ only. */
export function demoConfig(origin: string): TokenBrokerConfig {
  return {
    name: 'demo',
    endpoint: jsonEndpoint({
      loginUrl: '/auth/login',
      refreshUrl: '/auth/refresh',
      logoutUrl: '/auth/logout',
      // The mock server's field names; a backend with others maps them here.
      refreshBody: (refreshToken) => ({ refreshToken }),
      readTokens: (body) => {
        const { accessToken, refreshToken, expiresIn, refreshExpiresIn } = body as { accessToken: string; refreshToken: string; expiresIn: number; refreshExpiresIn?: number };
        // refreshExpiresIn: the session's limit at the server, when it has one (the broker warns before it, and keeps the session alive).
        return { accessToken, refreshToken, expiresInSeconds: expiresIn, refreshExpiresInSeconds: refreshExpiresIn };
      },
    }),
    apiAllowlist: [`${origin}/api/`],
    skipWaiting: true,
    ownsAllMessages: true,
  };
}

/** `IDP=oidc`: login by redirect (authorization code + PKCE) against the embedded oidc-provider on `origin`. */
export function demoOidcConfig(origin: string): TokenBrokerConfig {
  const { hostname } = new URL(origin);
  return {
    name: 'demo-oidc',
    endpoint: oidcEndpoint({
      issuer: `${origin}/oidc`,
      clientId: 'sw-token-broker-demo',
      redirectUri: `${origin}/oidc-callback`,
      // RP-initiated logout (`logout({ endSession: true })`) comes back here; registered at the provider.
      postLogoutRedirectUri: `${origin}/`,
      // The demo runs on http://127.0.0.1; a real deployment is https and leaves this off.
      allowInsecureRequests: hostname === '127.0.0.1' || hostname === 'localhost',
    }),
    apiAllowlist: [`${origin}/api/`],
    skipWaiting: true,
    ownsAllMessages: true,
  };
}
