/// <reference lib="webworker" />
/**
 * The handoff + DPoP demo's worker: the page holds the access token and sends the requests
 * itself (axios), with a DPoP proof the worker signs for each one; the key never leaves the
 * worker, so a token copied out of the page is useless without it.
 */
import { installTokenBroker, oauth2Endpoint } from '../../sw/index.js';

declare const self: ServiceWorkerGlobalScope;
const origin = self.location.origin;

installTokenBroker({
  name: 'demo-dpop-handoff',
  dpop: true,
  endpoint: oauth2Endpoint({
    tokenEndpoint: `${origin}/oauth/token`,
    revocationEndpoint: `${origin}/oauth/revoke`,
    clientId: 'sw-token-broker-demo',
    // The demo runs on http://127.0.0.1; a real deployment is https and leaves this off.
    allowInsecureRequests: self.location.protocol === 'http:',
  }),
  apiAllowlist: [`${origin}/api/`],
  skipWaiting: true,
  ownsAllMessages: true,
});
