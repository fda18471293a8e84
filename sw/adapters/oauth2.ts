/**
 * Adapter for standard OAuth 2 token endpoints, with oauth4webapi doing the protocol:
 * the refresh_token grant (RFC 6749 §6), the password grant for legacy backends
 * (RFC 6749 §4.3), and token revocation (RFC 7009).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 * @see https://www.rfc-editor.org/rfc/rfc7009
 */
import * as oauth from 'oauth4webapi';
import { LoginFailedError, RefreshUnavailableError, SessionEndedError, type BrokerError } from '../../protocol/index.js';
import { isRejectionStatus, resolveEndpointUrl } from './http.js';
import { checkTokenSet } from './json.js';
import type { EndpointContext, TokenEndpoint, TokenSet } from './types.js';

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
 * Creates an OAuth 2 token endpoint for a public client.
 *
 * @throws {TypeError} when the token endpoint or the client id is missing.
 * @example
 * oauth2Endpoint({ tokenEndpoint: 'https://id.example.com/oauth/token', clientId: 'spa' })
 */
export function oauth2Endpoint(options: OAuth2EndpointOptions): TokenEndpoint {
  if (typeof options !== 'object' || options === null) throw new TypeError('oauth2Endpoint options must be an object');
  if (typeof options.clientId !== 'string' || options.clientId === '') throw new TypeError('clientId must be a non-empty string');
  const tokenEndpoint = resolveEndpointUrl(options.tokenEndpoint, 'tokenEndpoint');
  const revocationEndpoint =
    options.revocationEndpoint === undefined ? undefined : resolveEndpointUrl(options.revocationEndpoint, 'revocationEndpoint');
  for (const url of [tokenEndpoint, revocationEndpoint]) {
    if (url?.startsWith('http:') && options.allowInsecureRequests !== true) {
      throw new TypeError(`${url} is not https; set allowInsecureRequests for loopback development only`);
    }
  }
  const as: oauth.AuthorizationServer = {
    issuer: options.issuer ?? new URL(tokenEndpoint).origin,
    token_endpoint: tokenEndpoint,
    revocation_endpoint: revocationEndpoint,
  };
  const client: oauth.Client = { client_id: options.clientId };
  const clientAuth = oauth.None();

  const requestOptions = (context: EndpointContext) => ({
    [oauth.customFetch]: context.fetch,
    [oauth.allowInsecureRequests]: options.allowInsecureRequests === true,
    signal: AbortSignal.timeout(context.timeoutMs),
  });

  return {
    kind: 'oauth2',
    async login(credentials, context) {
      const parameters: Record<string, string> = { username: credentials.username ?? '', password: credentials.password ?? '' };
      if (options.scope) parameters.scope = options.scope;
      const response = await send(() =>
        oauth.genericTokenEndpointRequest(as, client, clientAuth, 'password', parameters, requestOptions(context)),
      );
      return process(() => oauth.processGenericTokenEndpointResponse(as, client, response), response, (message) => new LoginFailedError(message));
    },
    async refresh(refreshToken, context) {
      const response = await send(() => oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshToken, requestOptions(context)));
      return process(() => oauth.processRefreshTokenResponse(as, client, response), response, (message) => new SessionEndedError(message));
    },
    revoke: revocationEndpoint
      ? async (refreshToken, context) => {
          const response = await send(() =>
            oauth.revocationRequest(as, client, clientAuth, refreshToken, {
              ...requestOptions(context),
              additionalParameters: { token_type_hint: 'refresh_token' },
            }),
          );
          if (response.status >= 500) throw new RefreshUnavailableError(`The revocation endpoint answered ${response.status}`);
        }
      : undefined,
  };
}

async function send(request: () => Promise<Response>): Promise<Response> {
  try {
    return await request();
  } catch (error) {
    const timedOut = (error as { name?: string })?.name === 'TimeoutError';
    throw new RefreshUnavailableError(timedOut ? 'The token endpoint did not answer in time' : 'The token endpoint could not be reached', {
      cause: error,
    });
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
