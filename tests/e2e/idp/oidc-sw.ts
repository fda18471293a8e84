/// <reference lib="webworker" />
/**
 * The worker the OpenID-provider tests run against a provider we did not write (Django OAuth
 * Toolkit): login by redirect with PKCE through the provider's own pages, configured as a
 * user of that provider would, from the provider fixture's `/idp-config.js` (in an app this
 * is the worker's own code). Under `/sealed/` it runs in sealed mode; under a variant's scope,
 * with that variant's mistake.
 */
import { installTokenBroker, oauth2Endpoint, oidcEndpoint } from '../../../sw/index.js';

interface IdpFixture {
  issuer: string;
  discoveryUrl?: string | null;
  revocationEndpoint?: string | null;
  clientId: string;
  scope?: string;
  /** A variant that logs in with the password grant at `tokenEndpoint` instead (a mistake, for DOT). */
  passwordGrant?: boolean;
  tokenEndpoint?: string;
  variants?: Record<string, Partial<IdpFixture>>;
}

declare const self: ServiceWorkerGlobalScope & { SW_TOKEN_BROKER_IDP: IdpFixture };

importScripts('/idp-config.js');
const scope = new URL(self.registration.scope).pathname;
const fixture = { ...self.SW_TOKEN_BROKER_IDP, ...self.SW_TOKEN_BROKER_IDP.variants?.[scope] };

installTokenBroker({
  name: `idp-oidc:${scope}`,
  mode: scope === '/sealed/' ? 'sealed' : 'handoff',
  endpoint: fixture.passwordGrant
    ? oauth2Endpoint({ tokenEndpoint: fixture.tokenEndpoint ?? '', clientId: fixture.clientId, allowInsecureRequests: true })
    : oidcEndpoint({
        issuer: fixture.issuer,
        discoveryUrl: fixture.discoveryUrl ?? undefined,
        revocationEndpoint: fixture.revocationEndpoint ?? undefined,
        clientId: fixture.clientId,
        redirectUri: new URL('oidc-callback', self.registration.scope).href,
        scope: fixture.scope,
        allowInsecureRequests: true, // loopback http in tests only
      }),
  apiAllowlist: [`${self.location.origin}/api/`],
  requestTimeoutMs: 1500,
  skipWaiting: true,
  ownsAllMessages: true,
});
