/**
 * Adapters for standard OAuth 2 token endpoints, with oauth4webapi doing the protocol:
 * the refresh_token grant (RFC 6749 §6), the password grant for legacy backends
 * (RFC 6749 §4.3), token revocation (RFC 7009), and in {@link oidcEndpoint} the
 * authorization code grant with PKCE (RFC 7636) against a discovered OpenID provider.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 * @see https://www.rfc-editor.org/rfc/rfc7009
 * @see https://www.rfc-editor.org/rfc/rfc7636
 */
import * as oauth from 'oauth4webapi';
import { BrokerError, ErrorCode, LoginFailedError, RefreshUnavailableError, SessionEndedError } from '../../protocol/index.js';
import { dpopHandle, dpopResourceFetch, withNonceRetry } from './dpop-proofs.js';
import { isRejectionStatus, resolveEndpointUrl, unreachable } from './http.js';
import { checkTokenSet } from './json.js';
import type { EndpointContext, PendingAuthorization, TokenEndpoint, TokenSet } from './types.js';

export interface OAuth2EndpointOptions {
  tokenEndpoint: string;
  /** RFC 7009 endpoint; when set, logout revokes the refresh token there. */
  revocationEndpoint?: string;
  /** The public client's id. */
  clientId: string;
  /** Scope asked for at login. */
  scope?: string;
  /** The issuer identifier; defaults to the token endpoint's origin. */
  issuer?: string;
  /** Allows `http:` endpoints. Only for loopback development and tests. */
  allowInsecureRequests?: boolean;
}

/**
 * Creates an OAuth 2 token endpoint for a public client (password login, refresh, revocation).
 *
 * @throws {TypeError} when the token endpoint or the client id is missing, or an endpoint is http without `allowInsecureRequests`.
 * @example
 * oauth2Endpoint({ tokenEndpoint: 'https://id.example.com/oauth/token', clientId: 'spa' })
 */
export function oauth2Endpoint(options: OAuth2EndpointOptions): TokenEndpoint {
  if (typeof options !== 'object' || options === null) throw new TypeError('oauth2Endpoint options must be an object');
  checkClientId(options.clientId);
  const tokenEndpoint = resolveEndpointUrl(options.tokenEndpoint, 'tokenEndpoint');
  const revocationEndpoint =
    options.revocationEndpoint === undefined ? undefined : resolveEndpointUrl(options.revocationEndpoint, 'revocationEndpoint');
  checkSecure([tokenEndpoint, revocationEndpoint], options.allowInsecureRequests);
  const as: oauth.AuthorizationServer = {
    issuer: options.issuer ?? new URL(tokenEndpoint).origin,
    token_endpoint: tokenEndpoint,
    revocation_endpoint: revocationEndpoint,
  };
  const ops = protocolOperations(async () => as, { client_id: options.clientId }, options.allowInsecureRequests === true);
  return {
    kind: 'oauth2',
    dpopFetch: dpopResourceFetch,
    async login(credentials, context) {
      const parameters: Record<string, string> = { username: credentials.username ?? '', password: credentials.password ?? '' };
      if (options.scope) parameters.scope = options.scope;
      return ops.passwordGrant(parameters, context);
    },
    refresh: ops.refresh,
    revoke: revocationEndpoint ? ops.revoke : undefined,
  };
}

export interface OidcEndpointOptions {
  /** The OpenID provider's issuer identifier; its metadata is discovered from it. */
  issuer: string;
  clientId: string;
  /** The redirect URI registered for the client; must be in the worker's scope, which answers it. */
  redirectUri: string;
  /** Default `openid`. */
  scope?: string;
  /** Allows `http:` endpoints. Only for loopback development and tests. */
  allowInsecureRequests?: boolean;
}

/**
 * Creates an endpoint that logs in with the authorization code grant and PKCE against an
 * OpenID provider, refreshes with rotation and revokes at logout. The worker generates
 * state, nonce and code verifier, keeps them in its store, and exchanges the code when the
 * browser navigates to `redirectUri`, so the code never reaches page JavaScript.
 *
 * @throws {TypeError} on a missing issuer, client id or redirect URI.
 * @see https://www.rfc-editor.org/rfc/rfc7636
 */
export function oidcEndpoint(options: OidcEndpointOptions): TokenEndpoint {
  if (typeof options !== 'object' || options === null) throw new TypeError('oidcEndpoint options must be an object');
  checkClientId(options.clientId);
  const issuer = new URL(resolveEndpointUrl(options.issuer, 'issuer'));
  const redirectUri = resolveEndpointUrl(options.redirectUri, 'redirectUri');
  checkSecure([issuer.href], options.allowInsecureRequests);
  const insecure = options.allowInsecureRequests === true;
  const client: oauth.Client = { client_id: options.clientId };
  let discovered: Promise<oauth.AuthorizationServer> | undefined;
  const discover = (context: EndpointContext) => {
    discovered ??= (async () => {
      const response = await send(context, () =>
        oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...requestOptions(context, insecure) }),
      );
      try {
        return await oauth.processDiscoveryResponse(issuer, response);
      } catch (error) {
        throw new RefreshUnavailableError('The OpenID provider metadata could not be read', { cause: error });
      }
    })().catch((error: unknown) => {
      discovered = undefined; // try again next time
      throw error;
    });
    return discovered;
  };
  const ops = protocolOperations(discover, client, insecure);

  return {
    kind: 'oidc',
    dpopFetch: dpopResourceFetch,
    async login() {
      throw new BrokerError(ErrorCode.NotSupported, 'This provider logs in with a redirect: use loginWithRedirect()');
    },
    refresh: ops.refresh,
    async revoke(refreshToken, context) {
      const as = await discover(context);
      if (as.revocation_endpoint) await ops.revoke(refreshToken, context);
    },
    redirectLogin: {
      callbackUrl: redirectUri,
      async start(context) {
        const as = await discover(context);
        if (!as.authorization_endpoint) throw new RefreshUnavailableError('The provider has no authorization endpoint');
        const pending: PendingAuthorization = {
          state: oauth.generateRandomState(),
          nonce: oauth.generateRandomNonce(),
          codeVerifier: oauth.generateRandomCodeVerifier(),
        };
        const url = new URL(as.authorization_endpoint);
        url.search = new URLSearchParams({
          client_id: client.client_id,
          redirect_uri: redirectUri,
          response_type: 'code',
          scope: options.scope ?? 'openid',
          state: pending.state,
          nonce: pending.nonce,
          code_challenge: await oauth.calculatePKCECodeChallenge(pending.codeVerifier),
          code_challenge_method: 'S256',
        }).toString();
        return { authorizationUrl: url.href, pending };
      },
      async finish(callback, pending, context) {
        const as = await discover(context);
        let parameters: URLSearchParams;
        try {
          parameters = oauth.validateAuthResponse(as, client, callback, pending.state);
        } catch (error) {
          const detail = error instanceof oauth.AuthorizationResponseError ? `the provider answered ${error.error}` : (error as Error).message;
          throw new LoginFailedError(`The authorization response was rejected: ${detail}`, { cause: error });
        }
        return withNonceRetry(async () => {
          const response = await send(context, () =>
            oauth.authorizationCodeGrantRequest(as, client, oauth.None(), parameters, redirectUri, pending.codeVerifier, requestOptions(context, insecure)),
          );
          return process(
            () => oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: pending.nonce, requireIdToken: true }),
            response,
            (message) => new LoginFailedError(message),
          );
        });
      },
    },
  };
}

/** The grant and revocation calls shared by both adapters, for a given authorization server. */
function protocolOperations(getAs: (context: EndpointContext) => Promise<oauth.AuthorizationServer>, client: oauth.Client, insecure: boolean) {
  const clientAuth = oauth.None();
  return {
    async passwordGrant(parameters: Record<string, string>, context: EndpointContext): Promise<TokenSet> {
      const as = await getAs(context);
      return withNonceRetry(async () => {
        const response = await send(context, () => oauth.genericTokenEndpointRequest(as, client, clientAuth, 'password', parameters, requestOptions(context, insecure)));
        return process(() => oauth.processGenericTokenEndpointResponse(as, client, response), response, (message) => new LoginFailedError(message));
      });
    },
    async refresh(refreshToken: string, context: EndpointContext): Promise<TokenSet> {
      const as = await getAs(context);
      return withNonceRetry(async () => {
        const response = await send(context, () => oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshToken, requestOptions(context, insecure)));
        return process(() => oauth.processRefreshTokenResponse(as, client, response), response, (message) => new SessionEndedError(message));
      });
    },
    async revoke(refreshToken: string, context: EndpointContext): Promise<void> {
      const as = await getAs(context);
      // Revocation requests carry no DPoP proof (RFC 9449 does not define one for RFC 7009).
      const response = await send(context, () =>
        oauth.revocationRequest(as, client, clientAuth, refreshToken, {
          ...requestOptions({ ...context, dpop: undefined }, insecure),
          additionalParameters: { token_type_hint: 'refresh_token' },
        }),
      );
      if (response.status >= 500) throw new RefreshUnavailableError(`The revocation endpoint answered ${response.status}`);
    },
  };
}

function requestOptions(context: EndpointContext, insecure: boolean) {
  return {
    [oauth.customFetch]: context.fetch,
    [oauth.allowInsecureRequests]: insecure,
    signal: AbortSignal.timeout(context.timeoutMs),
    DPoP: context.dpop ? dpopHandle(context.dpop) : undefined,
  };
}

function checkClientId(clientId: unknown): void {
  if (typeof clientId !== 'string' || clientId === '') throw new TypeError('clientId must be a non-empty string');
}

function checkSecure(urls: Array<string | undefined>, allowInsecure: boolean | undefined): void {
  for (const url of urls) {
    if (url?.startsWith('http:') && allowInsecure !== true) {
      throw new TypeError(`${url} is not https; set allowInsecureRequests for loopback development only`);
    }
  }
}

async function send(context: EndpointContext, request: () => Promise<Response>): Promise<Response> {
  try {
    return await request();
  } catch (error) {
    throw unreachable(error, context.timeoutMs);
  }
}

/** Tells a refused grant (the session cannot go on) from a broken endpoint (keep the session). */
async function process(
  validate: () => Promise<oauth.TokenEndpointResponse>,
  response: Response,
  rejected: (message: string) => BrokerError,
): Promise<TokenSet> {
  if (response.status >= 500 || response.status === 429) {
    throw new RefreshUnavailableError(`The token endpoint answered ${response.status}`);
  }
  let result: oauth.TokenEndpointResponse;
  try {
    result = await validate();
  } catch (error) {
    // Left to withNonceRetry, which repeats the request with the nonce the server sent.
    if (oauth.isDPoPNonceError(error)) throw error;
    if ((error instanceof oauth.ResponseBodyError || error instanceof oauth.WWWAuthenticateChallengeError) && isRejectionStatus(error.status)) {
      const code = error instanceof oauth.ResponseBodyError ? `: ${error.error}` : '';
      throw rejected(`The token endpoint refused the grant (${error.status}${code})`);
    }
    throw new RefreshUnavailableError('The token endpoint answered with something that is not a token response', { cause: error });
  }
  return checkTokenSet({
    accessToken: result.access_token,
    refreshToken: result.refresh_token,
    expiresInSeconds: result.expires_in,
  });
}
