/// <reference lib="webworker" />
/**
 * The demo's worker for `IDP=oidc`: login by redirect (authorization code + PKCE) against
 * the embedded oidc-provider, refresh with rotation, revocation at logout. The server
 * serves it as /sw.js in that mode.
 */
import { installTokenBroker, oidcEndpoint } from '../sw/index.js';

declare const self: ServiceWorkerGlobalScope;
const origin = self.location.origin;

installTokenBroker({
  name: 'demo-oidc',
  endpoint: oidcEndpoint({
    issuer: `${origin}/oidc`,
    clientId: 'sw-token-broker-demo',
    redirectUri: `${origin}/oidc-callback`,
    // RP-initiated logout (`logout({ endSession: true })`) comes back here; registered at the provider.
    postLogoutRedirectUri: `${origin}/`,
    // The demo runs on http://127.0.0.1; a real deployment is https and leaves this off.
    allowInsecureRequests: self.location.hostname === '127.0.0.1' || self.location.hostname === 'localhost',
  }),
  apiAllowlist: [`${origin}/api/`],
  skipWaiting: true,
  ownsAllMessages: true,
});
