/**
 * The OAuth 2 grant and revocation calls both OAuth adapters share, made by oauth4webapi:
 * the password grant (RFC 6749 §4.3), the refresh_token grant (§6), revocation
 * (RFC 7009), and the reading of a token response.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 * @see https://www.rfc-editor.org/rfc/rfc7009
 */
import * as oauth from 'oauth4webapi';
import { RefreshUnavailableError } from '../../protocol/index.js';
import { idTokenClaims, type IdTokenClaims } from '../claims.js';
import { jwtClaims } from '../expiry.js';
import { dpopHandle, withNonceRetry } from './dpop-proofs.js';
import { boundedRequest, checkTokenSet, failureFor, revocationFailure, type Grant } from './http.js';
import type { EndpointContext, TokenSet } from './types.js';
import { providerLifetimeSeconds } from '../session-lifetime.js';

/** How strictly to read token responses. */
export interface Leniency {
  /**
   * Check an `id_token` in a password or refresh answer (its issuer, audience, signature
   * claims). Only when the issuer is known (configured or discovered); otherwise a server
   * that adds one would fail on an issuer we guessed, so it is ignored: the broker does not
   * use it.
   */
  validateIdToken: boolean;
}

/** The grants and revocation for one public client at an authorization server found by `getAs`. */
export function oauthGrants(
  getAs: (context: EndpointContext) => Promise<oauth.AuthorizationServer>,
  client: oauth.Client,
  insecure: boolean,
  leniency: Leniency,
) {
  const clientAuth = oauth.None();
  return {
    async passwordGrant(parameters: Record<string, string>, context: EndpointContext): Promise<TokenSet> {
      const as = await getAs(context);
      return withNonceRetry(async () => {
        const url = as.token_endpoint ?? '';
        const response = await boundedRequest(
          context,
          (signal) => oauth.genericTokenEndpointRequest(as, client, clientAuth, 'password', parameters, requestOptions(context, insecure, signal)),
          url,
        );
        return processTokenResponse(response, { url, grant: 'login', context, leniency }, (answer) =>
          oauth.processGenericTokenEndpointResponse(as, client, answer),
        );
      });
    },
    async refresh(refreshToken: string, context: EndpointContext): Promise<TokenSet> {
      const as = await getAs(context);
      return withNonceRetry(async () => {
        const url = as.token_endpoint ?? '';
        const response = await boundedRequest(
          context,
          (signal) =>
            oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshToken, { ...requestOptions(context, insecure, signal), additionalParameters: context.grantParameters ? { ...context.grantParameters } : undefined }),
          url,
        );
        return processTokenResponse(response, { url, grant: 'refresh', context, leniency }, (answer) =>
          oauth.processRefreshTokenResponse(as, client, answer),
        );
      });
    },
    async revoke(refreshToken: string, context: EndpointContext): Promise<void> {
      const as = await getAs(context);
      // Revocation requests carry no DPoP proof (RFC 9449 does not define one for RFC 7009).
      const response = await boundedRequest(
        context,
        (signal) =>
          oauth.revocationRequest(as, client, clientAuth, refreshToken, {
            ...requestOptions({ ...context, dpop: undefined }, insecure, signal),
            additionalParameters: { token_type_hint: 'refresh_token' },
          }),
        as.revocation_endpoint,
      );
      if (!response.ok) throw await revocationFailure(response, as.revocation_endpoint ?? '');
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

interface Answer {
  url: string;
  grant: Grant;
  context: EndpointContext;
  leniency: Leniency;
}

/**
 * Reads a token endpoint's answer. Failures are classified by status, like every adapter
 * does ({@link failureFor}); only a DPoP nonce challenge is left to oauth4webapi, which
 * learns the nonce for the retry. A success is read leniently (see {@link normaliseTokenResponse})
 * and then validated by oauth4webapi; what it still refuses is reported with its reason.
 */
export async function processTokenResponse(
  response: Response,
  answer: Answer,
  validate: (response: Response) => Promise<oauth.TokenEndpointResponse>,
): Promise<TokenSet> {
  if (!response.ok && !(await isDpopNonceChallenge(response))) throw await failureFor(response, answer.url, answer.grant);
  const read = response.ok ? await normaliseTokenResponse(response, answer) : { readable: response, tokenType: undefined, subject: undefined, claims: undefined };
  let result: oauth.TokenEndpointResponse;
  try {
    result = await validate(read.readable);
  } catch (error) {
    // Left to withNonceRetry, which repeats the request with the nonce the server sent.
    if (oauth.isDPoPNonceError(error)) throw error;
    throw notATokenResponse(answer, response.status, (error as Error)?.message ?? String(error), error);
  }
  return checkTokenSet({
    accessToken: result.access_token,
    refreshToken: result.refresh_token,
    expiresInSeconds: result.expires_in,
    tokenType: read.tokenType,
    subject: read.subject,
    claims: read.claims,
    idToken: typeof result.id_token === 'string' ? result.id_token : undefined,
    // Keycloak's name, and Microsoft's: the session's limit at the provider.
    refreshExpiresInSeconds: providerLifetimeSeconds(result.refresh_expires_in ?? result.refresh_token_expires_in),
  });
}

/** A 400 or 401 asking for a DPoP nonce (RFC 9449 §8): not a refusal, but a request to retry with it. */
async function isDpopNonceChallenge(response: Response): Promise<boolean> {
  if (response.status !== 400 && response.status !== 401) return false;
  if (/error="?use_dpop_nonce/.test(response.headers.get('www-authenticate') ?? '')) return true;
  try {
    const body = (await response.clone().json()) as { error?: unknown };
    return body?.error === 'use_dpop_nonce';
  } catch {
    return false;
  }
}

/**
 * Accepts the harmless quirks real servers have, which oauth4webapi rightly refuses by
 * the letter of RFC 6749: a 2xx other than 200, no `token_type` (read as Bearer; the
 * `token_type` as sent is returned, so a DPoP session can tell a bound token from one that
 * is not), `scope` as an array, `refresh_token: null`, `expires_in` as a string or 0
 * (unknown lifetime), and an `id_token` when the issuer is not known ({@link Leniency}),
 * whose `sub` is still read to tell sessions apart.
 */
async function normaliseTokenResponse(
  response: Response,
  answer: Answer,
): Promise<{ readable: Response; tokenType: string | undefined; subject: string | undefined; claims: IdTokenClaims | undefined }> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw notATokenResponse(answer, response.status, 'the body could not be read', error);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw notATokenResponse(answer, response.status, 'the body is not JSON', error);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw notATokenResponse(answer, response.status, 'the body is not a JSON object');
  }
  const body = { ...(parsed as Record<string, unknown>) };
  const tokenType = typeof body.token_type === 'string' ? body.token_type : undefined;
  const subject = typeof body.id_token === 'string' ? jwtClaims(body.id_token)?.sub : undefined;
  const claims = idTokenClaims(body.id_token);
  if (body.token_type === undefined || body.token_type === null) body.token_type = 'Bearer';
  if (Array.isArray(body.scope)) body.scope = body.scope.join(' ');
  if (body.refresh_token === null) delete body.refresh_token;
  if (typeof body.expires_in === 'string' && /^\d+$/.test(body.expires_in)) body.expires_in = Number(body.expires_in);
  if (body.expires_in === 0 || body.expires_in === null) delete body.expires_in;
  if (!answer.leniency.validateIdToken) delete body.id_token;
  const headers = new Headers(response.headers);
  headers.set('content-type', 'application/json');
  headers.delete('content-length');
  return { readable: new Response(JSON.stringify(body), { status: 200, headers }), tokenType, subject, claims };
}

function notATokenResponse(answer: Answer, status: number, reason: string, cause?: unknown): RefreshUnavailableError {
  return new RefreshUnavailableError(`The token endpoint's answer is not a token response: ${reason}`, {
    cause,
    details: { status, url: answer.url },
  });
}
