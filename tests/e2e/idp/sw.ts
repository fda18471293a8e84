/// <reference lib="webworker" />
/**
 * The worker the third-party-server tests run: the broker with the standard OAuth 2
 * adapter against whichever server serves it (its own origin), with a short bound on
 * callers' waits so a slow rotation can outlast it.
 */
import { installTokenBroker, oauth2Endpoint } from '../../../sw/index.js';

declare const self: ServiceWorkerGlobalScope;

const origin = self.location.origin;

installTokenBroker({
  name: 'idp',
  endpoint: oauth2Endpoint({
    tokenEndpoint: `${origin}/oauth/token`,
    revocationEndpoint: `${origin}/oauth/revoke`,
    clientId: 'spa',
    allowInsecureRequests: true, // loopback http in tests only
  }),
  apiAllowlist: [`${origin}/api/`],
  requestTimeoutMs: 1500,
  skipWaiting: true,
  ownsAllMessages: true,
});
