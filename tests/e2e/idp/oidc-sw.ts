/// <reference lib="webworker" />
/**
 * The worker the OpenID-provider tests run against a provider we did not write (Django OAuth
 * Toolkit): login by redirect with PKCE through the provider's own pages, configured as a
 * user of that provider would, from the provider fixture's `/idp-config.js` (in an app this
 * is the worker's own code). Under `/sealed/` it runs in sealed mode; under a variant's scope,
 * with that variant's mistake.
 */
import { MisconfiguredError, installTokenBroker, oauth2Endpoint, oidcEndpoint, type TokenEndpoint } from '../../../sw/index.js';

interface IdpFixture {
  issuer: string;
  discoveryUrl?: string | null;
  revocationEndpoint?: string | null;
  clientId: string;
  scope?: string;
  /** A variant that logs in with the password grant at `tokenEndpoint` instead (a mistake, for DOT). */
  passwordGrant?: boolean;
  tokenEndpoint?: string;
  /** Sealed mode with DPoP (Glewlwyd binds tokens to the worker's key). */
  dpop?: boolean;
  /**
   * Revoke with Glewlwyd's own `delete_token` grant on its token endpoint, which a public client
   * may use, instead of RFC 7009 revocation, which Glewlwyd allows only with client authentication.
   */
  revokeWith?: 'delete_token';
  /** Where RP-initiated logout comes back to (registered at the provider). */
  postLogoutRedirectUri?: string;
  variants?: Record<string, Partial<IdpFixture>>;
}

declare const self: ServiceWorkerGlobalScope & { SW_TOKEN_BROKER_IDP: IdpFixture };

importScripts('/idp-config.js');
const scope = new URL(self.registration.scope).pathname;
const fixture = { ...self.SW_TOKEN_BROKER_IDP, ...self.SW_TOKEN_BROKER_IDP.variants?.[scope] };

const adapter: TokenEndpoint = fixture.passwordGrant
  ? oauth2Endpoint({ tokenEndpoint: fixture.tokenEndpoint ?? '', clientId: fixture.clientId, allowInsecureRequests: true })
  : oidcEndpoint({
      issuer: fixture.issuer,
      discoveryUrl: fixture.discoveryUrl ?? undefined,
      revocationEndpoint: fixture.revocationEndpoint ?? undefined,
      clientId: fixture.clientId,
      redirectUri: new URL('oidc-callback', self.registration.scope).href,
      scope: fixture.scope,
      postLogoutRedirectUri: fixture.postLogoutRedirectUri,
      allowInsecureRequests: true, // loopback http in tests only
    });

/** The documented way to replace one function of an adapter: spread it, and its checks stay. */
const endpoint: TokenEndpoint =
  fixture.revokeWith === 'delete_token'
    ? {
        ...adapter,
        async revoke(refreshToken, context) {
          const url = `${fixture.issuer}/token`;
          const response = await context.fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ grant_type: 'delete_token', refresh_token: refreshToken, client_id: fixture.clientId }),
            redirect: 'manual',
            signal: AbortSignal.timeout(context.timeoutMs),
          });
          if (!response.ok) throw new MisconfiguredError(`The delete_token grant at ${url} answered ${response.status}`, { details: { status: response.status, url } });
        },
      }
    : adapter;

installTokenBroker({
  name: `idp-oidc:${scope}`,
  mode: scope === '/sealed/' || fixture.dpop ? 'sealed' : 'handoff',
  dpop: fixture.dpop === true,
  endpoint,
  apiAllowlist: [`${self.location.origin}/api/data`],
  requestTimeoutMs: 1500,
  skipWaiting: true,
  ownsAllMessages: true,
});
