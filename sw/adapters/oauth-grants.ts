/**
 * The OAuth 2 grant and revocation calls both OAuth adapters share, made by oauth4webapi:
 * the password grant (RFC 6749 §4.3), the refresh_token grant (§6), revocation
 * (RFC 7009), and the rule that tells a refused grant from a broken endpoint.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 * @see https://www.rfc-editor.org/rfc/rfc7009
 */
import * as oauth from 'oauth4webapi';
import { RefreshUnavailableError, SessionEndedError, LoginFailedError, type BrokerError } from '../../protocol/index.js';
import { dpopHandle, withNonceRetry } from './dpop-proofs.js';
import { boundedRequest, checkTokenSet, isRejectionStatus } from './http.js';
import type { EndpointContext, TokenSet } from './types.js';

/** The grants and revocation for one public client at an authorization server found by `getAs`. */
export function oauthGrants(getAs: (context: EndpointContext) => Promise<oauth.AuthorizationServer>, client: oauth.Client, insecure: boolean) {
  const clientAuth = oauth.None();
  return {
    async passwordGrant(parameters: Record<string, string>, context: EndpointContext): Promise<TokenSet> {
      const as = await getAs(context);
      return withNonceRetry(async () => {
        const response = await boundedRequest(context, (signal) =>
          oauth.genericTokenEndpointRequest(as, client, clientAuth, 'password', parameters, requestOptions(context, insecure, signal)),
        );
        return processTokenResponse(() => oauth.processGenericTokenEndpointResponse(as, client, response), response, (message) => new LoginFailedError(message));
      });
    },
    async refresh(refreshToken: string, context: EndpointContext): Promise<TokenSet> {
      const as = await getAs(context);
      return withNonceRetry(async () => {
        const response = await boundedRequest(context, (signal) =>
          oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshToken, requestOptions(context, insecure, signal)),
        );
        return processTokenResponse(() => oauth.processRefreshTokenResponse(as, client, response), response, (message) => new SessionEndedError(message));
      });
    },
    async revoke(refreshToken: string, context: EndpointContext): Promise<void> {
      const as = await getAs(context);
      // Revocation requests carry no DPoP proof (RFC 9449 does not define one for RFC 7009).
      const response = await boundedRequest(context, (signal) =>
        oauth.revocationRequest(as, client, clientAuth, refreshToken, {
          ...requestOptions({ ...context, dpop: undefined }, insecure, signal),
          additionalParameters: { token_type_hint: 'refresh_token' },
        }),
      );
      if (response.status >= 500) throw new RefreshUnavailableError(`The revocation endpoint answered ${response.status}`);
    },
  };
}

/** oauth4webapi's options for one request: injected fetch, the bound, and a DPoP proof when the session has a key. */
export function requestOptions(context: EndpointContext, insecure: boolean, signal: AbortSignal) {
  return {
    [oauth.customFetch]: context.fetch,
    [oauth.allowInsecureRequests]: insecure,
    signal,
    DPoP: context.dpop ? dpopHandle(context.dpop) : undefined,
  };
}

/** @throws {TypeError} when the client id is not a non-empty string. */
export function checkClientId(clientId: unknown): void {
  if (typeof clientId !== 'string' || clientId === '') throw new TypeError('clientId must be a non-empty string');
}

/** @throws {TypeError} for an `http:` endpoint unless insecure requests are allowed. */
export function checkSecure(urls: Array<string | undefined>, allowInsecure: boolean | undefined): void {
  for (const url of urls) {
    if (url?.startsWith('http:') && allowInsecure !== true) {
      throw new TypeError(`${url} is not https; set allowInsecureRequests for loopback development only`);
    }
  }
}

/** Tells a refused grant (the session cannot go on) from a broken endpoint (keep the session). */
export async function processTokenResponse(
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
