/// <reference lib="webworker" />
/**
 * The DPoP demo's worker for `IDP=oidc`: login by redirect against the embedded
 * oidc-provider, which binds the tokens to the worker's key and asks for DPoP nonces.
 * The server serves it as /dpop/sw.js in that mode.
 */
import { installTokenBroker, oidcEndpoint } from '../../sw/index.js';

declare const self: ServiceWorkerGlobalScope;
const origin = self.location.origin;

installTokenBroker({
  name: 'demo-dpop',
  mode: 'sealed',
  dpop: true,
  endpoint: oidcEndpoint({
    issuer: `${origin}/oidc`,
    clientId: 'sw-token-broker-demo',
    redirectUri: `${origin}/dpop/oidc-callback`,
    allowInsecureRequests: self.location.protocol === 'http:',
  }),
  apiAllowlist: [`${origin}/api/`],
  skipWaiting: true,
  ownsAllMessages: true,
});
