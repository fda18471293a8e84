/**
 * The adapter for a standard OAuth 2 token endpoint and a public client: the password
 * grant for legacy backends (RFC 6749 §4.3), the refresh_token grant (§6) and revocation
 * (RFC 7009), with oauth4webapi doing the protocol.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 * @see https://www.rfc-editor.org/rfc/rfc7009
 */
import type * as oauth from 'oauth4webapi';
import { dpopResourceFetch } from './dpop-proofs.js';
import { resolveEndpointUrl } from './http.js';
import { checkClientId, checkSecure, oauthGrants } from './oauth-grants.js';
import { buildEndpoint } from './misconfigured.js';
import type { TokenEndpoint } from './types.js';

export interface OAuth2EndpointOptions {
  tokenEndpoint: string;
  /** RFC 7009 endpoint; when set, logout revokes the refresh token there. */
  revocationEndpoint?: string;
  /** The public client's id. */
  clientId: string;
  /** Scope asked for at login. */
  scope?: string;
  /**
   * The issuer identifier. When set, an `id_token` in a token answer is validated against
   * it; without it an `id_token` is ignored (the broker does not use one from these grants).
   */
  issuer?: string;
  /** Allows `http:` endpoints. Only for loopback development and tests. */
  allowInsecureRequests?: boolean;
}

/**
 * Creates an OAuth 2 token endpoint for a public client (password login, refresh, revocation).
 *
 * A mistake in the options (no token endpoint or client id, an http endpoint without
 * `allowInsecureRequests`) does not throw: `installTokenBroker` reports it to every page
 * as `misconfigured`.
 * @example
 * oauth2Endpoint({ tokenEndpoint: 'https://id.example.com/oauth/token', clientId: 'spa' })
 */
export function oauth2Endpoint(options: OAuth2EndpointOptions): TokenEndpoint {
  return buildEndpoint(() => {
    if (typeof options !== 'object' || options === null) throw new TypeError('oauth2Endpoint options must be an object');
    checkClientId(options.clientId);
    const tokenEndpoint = resolveEndpointUrl(options.tokenEndpoint, 'tokenEndpoint');
    const revocationEndpoint =
      options.revocationEndpoint === undefined ? undefined : resolveEndpointUrl(options.revocationEndpoint, 'revocationEndpoint');
    checkSecure([tokenEndpoint, revocationEndpoint], options.allowInsecureRequests);
    const as: oauth.AuthorizationServer = {
      // oauth4webapi needs an issuer; without a configured one nothing is checked against this.
      issuer: options.issuer ?? new URL(tokenEndpoint).origin,
      token_endpoint: tokenEndpoint,
      revocation_endpoint: revocationEndpoint,
    };
    const grants = oauthGrants(async () => as, { client_id: options.clientId }, options.allowInsecureRequests === true, {
      validateIdToken: options.issuer !== undefined,
    });
    return {
      dpopFetch: dpopResourceFetch,
      sendsGrantParameters: true,
      async login(credentials, context) {
        const parameters: Record<string, string> = { username: credentials.username ?? '', password: credentials.password ?? '' };
        if (options.scope) parameters.scope = options.scope;
        return grants.passwordGrant(parameters, context);
      },
      refresh: grants.refresh,
      revoke: revocationEndpoint ? grants.revoke : undefined,
    };
  });
}
