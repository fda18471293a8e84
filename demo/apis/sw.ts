/// <reference lib="webworker" />
/**
 * The several-APIs demo's worker: one broker, one refresh token, and one access token per
 * API. This origin's /api/ takes the login's token; the second API (the demo server's second
 * port: another origin) takes only tokens issued for it, which the worker gets by the refresh
 * grant with `audience` (the mock server, as Auth0) or `resource` (oidc-provider, RFC 8707).
 */
import { installTokenBroker, oauth2Endpoint, oidcEndpoint } from '../../sw/index.js';

interface ApisConfig {
  /** The second API's allowlist entry (an origin and path prefix). */
  secondApi: string;
  /** Its audience, which is also its resource indicator at oidc-provider. */
  audience: string;
  idp: 'mock' | 'oidc';
}
declare const self: ServiceWorkerGlobalScope & { SW_TOKEN_BROKER_APIS?: ApisConfig };

// Where the second API runs and which provider answers depend on how the demo server was
// started: it says, as the vault's worker learns its app. A real worker writes these into its code.
importScripts('/apis/config.js');
const origin = self.location.origin;
const { secondApi, audience, idp } = self.SW_TOKEN_BROKER_APIS ?? { secondApi: `${origin}/api/b/`, audience: 'https://api-b.demo', idp: 'mock' };
// The demo runs on http://127.0.0.1; a real deployment is https and leaves this off.
const allowInsecureRequests = self.location.protocol === 'http:';

installTokenBroker({
  name: 'demo-apis',
  endpoint:
    idp === 'oidc'
      ? oidcEndpoint({
          issuer: `${origin}/oidc`,
          clientId: 'sw-token-broker-demo',
          redirectUri: `${origin}/apis/oidc-callback`,
          // RFC 8707: the login asks for the second API's resource and scope, so a refresh may later ask for a token for it.
          authorizationParams: { scope: 'openid api:read', resource: audience },
          allowInsecureRequests,
        })
      : oauth2Endpoint({ tokenEndpoint: `${origin}/oauth/token`, revocationEndpoint: `${origin}/oauth/revoke`, clientId: 'sw-token-broker-demo', allowInsecureRequests }),
  apiAllowlist: [`${origin}/api/`, secondApi],
  apis: { [secondApi]: idp === 'oidc' ? { resource: audience, scope: 'api:read' } : { audience } },
  skipWaiting: true,
  ownsAllMessages: true,
});
