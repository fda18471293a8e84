/**
 * Adapter for custom JSON backends, such as
 * `POST /auth/login {username, password}`, `POST /auth/refresh {refreshToken}`,
 * `POST /auth/logout {refreshToken}`. Mapping functions adapt field names.
 */
import { RefreshUnavailableError } from '../../protocol/index.js';
import { boundedRequest, checkTokenSet, failureFor, readJson, resolveEndpointUrl, revocationFailure } from './http.js';
import { idTokenClaims } from '../claims.js';
import { buildEndpoint } from './misconfigured.js';
import { providerLifetimeSeconds } from '../session-lifetime.js';
import type { EndpointContext, TokenEndpoint, TokenSet } from './types.js';

export interface JsonEndpointOptions {
  loginUrl: string;
  refreshUrl: string;
  /** Where logout revokes the refresh token; without it logout only clears the session. */
  logoutUrl?: string;
  /** Builds the login body from the page's credentials. Default: the credentials as they are. */
  loginBody?: (credentials: Readonly<Record<string, string>>) => unknown;
  /** Builds the refresh body. Default: `{ refreshToken }`. */
  refreshBody?: (refreshToken: string) => unknown;
  /** Builds the logout body. Default: `{ refreshToken }`. */
  logoutBody?: (refreshToken: string) => unknown;
  /**
   * Reads tokens from a successful response body. Default: `accessToken` or `access_token`,
   * `refreshToken` or `refresh_token`, `expiresIn` or `expires_in` (seconds), and the claims of
   * an `idToken` or `id_token` (a JWT; read, not verified: it comes from your backend over TLS).
   */
  readTokens?: (body: unknown) => TokenSet;
  /** Extra headers on every request (for example an API key). */
  headers?: Record<string, string>;
}

/**
 * Creates a JSON token endpoint.
 *
 * A mistake in the options (a missing or invalid URL) does not throw: `installTokenBroker`
 * reports it to every page as `misconfigured` (see `misconfigured.ts`).
 * @example
 * jsonEndpoint({ loginUrl: '/auth/login', refreshUrl: '/auth/refresh', logoutUrl: '/auth/logout' })
 */
export function jsonEndpoint(options: JsonEndpointOptions): TokenEndpoint {
  return buildEndpoint(() => {
    if (typeof options !== 'object' || options === null) throw new TypeError('jsonEndpoint options must be an object');
    const loginUrl = resolveEndpointUrl(options.loginUrl, 'loginUrl');
    const refreshUrl = resolveEndpointUrl(options.refreshUrl, 'refreshUrl');
    const logoutUrl = options.logoutUrl === undefined ? undefined : resolveEndpointUrl(options.logoutUrl, 'logoutUrl');
    const loginBody = options.loginBody ?? ((credentials) => credentials);
    const refreshBody = options.refreshBody ?? ((refreshToken) => ({ refreshToken }));
    const logoutBody = options.logoutBody ?? ((refreshToken) => ({ refreshToken }));
    const readTokens = options.readTokens ?? readDefaultTokens;
    const headers = { 'content-type': 'application/json', accept: 'application/json', ...options.headers };

    const post = (url: string, body: unknown, context: EndpointContext) =>
      boundedRequest(
        context,
        (signal) =>
          // Never followed: a 307/308 would re-send the refresh token to wherever it points. A
          // redirect answer is reported as a misconfigured URL (failureFor, revocationFailure).
          context.fetch(url, { method: 'POST', headers, body: JSON.stringify(body), redirect: 'manual', cache: 'no-store', signal }),
        url,
      );

    return {
      async login(credentials, context) {
        const response = await post(loginUrl, loginBody(credentials), context);
        if (!response.ok) throw await failureFor(response, loginUrl, 'login');
        return processTokenResponse(response, readTokens);
      },
      async refresh(refreshToken, context) {
        const response = await post(refreshUrl, refreshBody(refreshToken), context);
        if (!response.ok) throw await failureFor(response, refreshUrl, 'refresh');
        return processTokenResponse(response, readTokens);
      },
      revoke: logoutUrl
        ? async (refreshToken, context) => {
            const response = await post(logoutUrl, logoutBody(refreshToken), context);
            if (!response.ok) throw await revocationFailure(response, logoutUrl);
          }
        : undefined,
    };
  });
}

async function processTokenResponse(response: Response, readTokens: (body: unknown) => TokenSet): Promise<TokenSet> {
  const body = await readJson(response);
  let tokens: TokenSet;
  try {
    tokens = readTokens(body);
  } catch (error) {
    throw new RefreshUnavailableError('The token endpoint response has no usable tokens', { cause: error });
  }
  return checkTokenSet(tokens);
}

function readDefaultTokens(body: unknown): TokenSet {
  const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const expires = record.expiresIn ?? record.expires_in;
  return {
    accessToken: (record.accessToken ?? record.access_token) as string,
    refreshToken: (record.refreshToken ?? record.refresh_token ?? undefined) as string | undefined,
    expiresInSeconds: expires === undefined || expires === null ? undefined : Number(expires),
    claims: idTokenClaims(record.idToken ?? record.id_token),
    refreshExpiresInSeconds: providerLifetimeSeconds(record.refreshExpiresIn ?? record.refresh_expires_in),
  };
}
