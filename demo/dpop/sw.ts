/// <reference lib="webworker" />
/**
 * The DPoP demo's worker: sealed mode with sender-constrained tokens against the mock
 * server's OAuth endpoints. The refresh token in IndexedDB is bound to a key the worker
 * cannot even export.
 */
import { installTokenBroker, oauth2Endpoint } from '../../sw/index.js';

declare const self: ServiceWorkerGlobalScope;
const origin = self.location.origin;

installTokenBroker({
  name: 'demo-dpop',
  mode: 'sealed',
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
