/// <reference lib="webworker" />
/**
 * The several-APIs demo's worker: one broker, one refresh token, and one access token per
 * API. This origin's /api/ takes the login's token; the second API (the demo server's second
 * port: another origin) takes only tokens issued for its audience, which the worker gets by
 * the refresh grant with `audience` (Auth0's name; `resource` for RFC 8707 providers).
 */
import { installTokenBroker, oauth2Endpoint } from '../../sw/index.js';

interface ApisConfig {
  /** The second API's allowlist entry (an origin and path prefix). */
  secondApi: string;
  audience: string;
}
declare const self: ServiceWorkerGlobalScope & { SW_TOKEN_BROKER_APIS?: ApisConfig };

// Where the second API runs depends on how the demo server was started (VAULT_PORT): it says,
// as the vault's worker learns its app. A real worker writes these into its code.
importScripts('/apis/config.js');
const origin = self.location.origin;
const { secondApi, audience } = self.SW_TOKEN_BROKER_APIS ?? { secondApi: `${origin}/api/b/`, audience: 'https://api-b.demo' };

installTokenBroker({
  name: 'demo-apis',
  endpoint: oauth2Endpoint({
    tokenEndpoint: `${origin}/oauth/token`,
    revocationEndpoint: `${origin}/oauth/revoke`,
    clientId: 'sw-token-broker-demo',
    // The demo runs on http://127.0.0.1; a real deployment is https and leaves this off.
    allowInsecureRequests: self.location.protocol === 'http:',
  }),
  apiAllowlist: [`${origin}/api/`, secondApi],
  apis: { [secondApi]: { audience } },
  skipWaiting: true,
  ownsAllMessages: true,
});
