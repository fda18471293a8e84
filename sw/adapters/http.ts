/**
 * What every adapter does the same way: bounded requests, status classes, reading a body,
 * checking a token set, resolving configured URLs.
 */
import {
  LoginFailedError,
  MisconfiguredError,
  RefreshUnavailableError,
  SessionEndedError,
  type BrokerError,
  type ErrorDetails,
} from '../../protocol/index.js';
import { providerLifetimeSeconds } from '../session-lifetime.js';
import type { EndpointContext, TokenSet } from './types.js';

/** Statuses by which a token endpoint refuses a grant or credentials (the session cannot go on). */
export function isRejectionStatus(status: number): boolean {
  return status === 400 || status === 401 || status === 403;
}

/**
 * Runs one HTTP request bounded by the context's timeout: `send` gets the abort signal.
 * A network error or a timeout becomes `RefreshUnavailableError`.
 */
export async function boundedRequest(
  context: EndpointContext,
  send: (signal: AbortSignal) => Promise<Response>,
  url?: string,
): Promise<Response> {
  try {
    return await send(AbortSignal.timeout(context.timeoutMs));
  } catch (error) {
    throw unreachable(error, context.timeoutMs, url);
  }
}

/**
 * The error for a request that never got an answer: a timeout, or a network failure (the
 * server down, this device offline, or a cross-origin endpoint without CORS headers, which
 * a browser reports exactly like a dead server).
 */
export function unreachable(error: unknown, timeoutMs: number, url?: string): RefreshUnavailableError {
  const timedOut = (error as { name?: string })?.name === 'TimeoutError';
  const where = url ? ` at ${url}` : '';
  return new RefreshUnavailableError(
    timedOut
      ? `The token endpoint${where} did not answer within ${timeoutMs} ms`
      : `The token endpoint${where} could not be reached: it is down, this device is offline, or it is on another origin and does not allow this one (CORS)`,
    { cause: error, details: url ? { url } : undefined },
  );
}

/** Which request a token-endpoint answer was for: it decides what a refusal means. */
export type Grant = 'login' | 'refresh';

/**
 * RFC 6749 §5.2 codes by which a token endpoint refuses the client or the request, not the
 * user's credentials: at login they are a configuration to fix, not a password to ask again.
 */
const CLIENT_ERRORS = new Set(['invalid_client', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope']);

/** True for an answer that is a redirect: a 3xx (Node, tests) or the opaque redirect a browser gives `redirect: 'manual'`. */
export function isRedirect(response: Response): boolean {
  return response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400);
}

/**
 * The error for an endpoint URL that answered with a redirect: never followed (it would
 * carry a token or a grant wherever it points), and almost always a URL missing its final
 * slash. Names the target when the answer shows it (a browser hides it from `manual`).
 */
export function redirectMistake(response: Response, url: string, what: string): MisconfiguredError {
  const location = response.headers.get('location');
  const target = location ? ` to ${new URL(location, url).href}` : '';
  return new MisconfiguredError(
    `The ${what} ${url} answered with a redirect${target}, which the broker does not follow: configure the final URL (for example with a trailing slash)`,
    { details: { status: response.status || undefined, url } },
  );
}

/**
 * The one rule for a token endpoint's answer that is not a success, the same for every
 * adapter, decided by status and never by body:
 * - 400, 401, 403: the server refused. A refresh: `session-ended`; a login: `login-failed`,
 *   or `misconfigured` when the server says it refused the client (`invalid_client`,
 *   `unauthorized_client`, `unsupported_grant_type`, `invalid_scope`).
 * - 404, 405: the URL is wrong. A login: `misconfigured`; a refresh: `refresh-unavailable`
 *   (the session is kept: a misrouted proxy may be passing).
 * - a redirect: `misconfigured`, naming the URL (and the target when visible); the session is kept.
 * - anything else (429, 5xx, other 4xx): `refresh-unavailable`, the session is kept.
 * The error carries what the server said (`error`, `error_description`) and, from
 * `Retry-After`, when to try again.
 */
export async function failureFor(response: Response, url: string, grant: Grant): Promise<BrokerError> {
  if (isRedirect(response)) return redirectMistake(response, url, 'token endpoint');
  const said = await readErrorBody(response);
  const details: ErrorDetails = { status: response.status, ...said, url, retryAt: retryAtFrom(response) };
  const words = `${response.status}${said.error ? ` ${said.error}` : ''}`;
  const description = said.errorDescription ? `: ${said.errorDescription}` : '';
  if (isRejectionStatus(response.status)) {
    if (grant === 'refresh') return new SessionEndedError(`The server rejected the refresh token (${words})${description}`, { details });
    if (said.error && CLIENT_ERRORS.has(said.error)) {
      return new MisconfiguredError(
        `The token endpoint refused the client, not the credentials (${words})${description}: check the client id and the grant types the provider allows it`,
        { details },
      );
    }
    if (response.status === 403 && !said.error) {
      // No RFC 6749 code to tell a wrong password from a client the server will not serve this grant.
      return new LoginFailedError(
        'The server refused the login (403, with no error code): either the credentials, or this client is not allowed the grant (Glewlwyd answers a public client\'s password grant so; log in by redirect there)',
        { details },
      );
    }
    return new LoginFailedError(`The server rejected the credentials (${words})${description}`, { details });
  }
  if (response.status === 404 || response.status === 405) {
    const message = `The token endpoint ${url} answered ${response.status}: check the URL in the worker's config`;
    return grant === 'login' ? new MisconfiguredError(message, { details }) : new RefreshUnavailableError(message, { details });
  }
  return new RefreshUnavailableError(`The token endpoint answered ${words}${description}`, { details });
}

/**
 * `error` and `error_description` from an error body: JSON (RFC 6749 §5.2, or RFC 9457
 * problem details' `title`/`detail`), or a short plain-text code. Never throws.
 */
export async function readErrorBody(response: Response): Promise<{ error?: string; errorDescription?: string }> {
  let text: string;
  try {
    text = (await response.text()).slice(0, 4096);
  } catch {
    return {};
  }
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    if (typeof body === 'object' && body !== null) {
      const error = typeof body.error === 'string' ? body.error : typeof body.title === 'string' ? body.title : undefined;
      const description =
        typeof body.error_description === 'string' ? body.error_description : typeof body.detail === 'string' ? body.detail : undefined;
      return { error: error?.slice(0, 200), errorDescription: description?.slice(0, 500) };
    }
  } catch {
    // Not JSON: a plain-text code such as `invalid_grant` is still worth reporting.
  }
  const trimmed = text.trim();
  return /^[\w.-]{1,100}$/.test(trimmed) ? { error: trimmed } : {};
}

/**
 * The error for a revocation request (RFC 7009) that did not succeed, naming the URL and
 * what the server said: logout cleared the session, but the refresh token may still be
 * live at the server, which every tab is told (`revocation-failed`).
 */
export async function revocationFailure(response: Response, url: string): Promise<BrokerError> {
  if (isRedirect(response)) return redirectMistake(response, url, 'revocation endpoint');
  const said = await readErrorBody(response);
  const details: ErrorDetails = { status: response.status, ...said, url };
  const words = `${response.status}${said.error ? ` ${said.error}` : ''}${said.errorDescription ? `: ${said.errorDescription}` : ''}`;
  if (response.status === 401 || response.status === 403) {
    return new MisconfiguredError(
      `The revocation endpoint ${url} refused the request (${words}): it may require client authentication, which a public client cannot give. Replace the adapter's revoke (see "Your identity provider" in docs/configuration.md)`,
      { details },
    );
  }
  if (response.status >= 400 && response.status < 500) return new MisconfiguredError(`The revocation endpoint ${url} answered ${words}`, { details });
  return new RefreshUnavailableError(`The revocation endpoint ${url} answered ${words}`, { details });
}

/** Epoch ms from a `Retry-After` header (seconds or an HTTP date), capped at an hour; undefined without one. */
export function retryAtFrom(response: Response, now = Date.now()): number | undefined {
  const header = response.headers.get('retry-after');
  if (!header) return undefined;
  const seconds = Number(header);
  const at = Number.isFinite(seconds) ? now + seconds * 1000 : Date.parse(header);
  if (!Number.isFinite(at)) return undefined;
  return Math.min(Math.max(at, now), now + 3_600_000);
}

/** Reads a JSON body; anything else is a broken endpoint, so the session is kept. */
export async function readJson(response: Response): Promise<unknown> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw new RefreshUnavailableError('The token endpoint response could not be read', { cause: error });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new RefreshUnavailableError(`The token endpoint answered ${response.status} with a body that is not JSON`, { cause: error });
  }
}

/** RFC 6750 §2.1 `b64token`: what an access token may contain, so it fits in an `Authorization` header. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** RFC 6749 Appendix A.17: a refresh token is visible ASCII (VSCHAR, %x20-7E). */
const VSCHARS = /^[\x20-\x7e]+$/;

/** Where a refused token set keeps a usable rotated refresh token (in this realm only; never on the wire). */
const ROTATED = Symbol('sw-token-broker rotated refresh token');

/** Attaches the refresh token a refused answer rotated to, so the broker keeps it ({@link rotatedRefreshTokenOf}). */
export function withRotatedRefreshToken<E extends Error>(error: E, refreshToken: string): E {
  Object.defineProperty(error, ROTATED, { value: refreshToken, enumerable: false });
  return error;
}

/**
 * The new refresh token of a token response that was refused for another reason (an
 * access token that cannot be sent): the server rotated, so the broker must keep it.
 */
export function rotatedRefreshTokenOf(error: unknown): string | undefined {
  const value = (error as { [ROTATED]?: unknown } | null)?.[ROTATED];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Rejects token sets a server or a mapping function built from a garbage body, saying why
 * and naming the field; returns a clean copy. Tokens must be sendable as they are: an
 * access token with a CR/LF would make every request fail as a bare network error.
 */
export function checkTokenSet(tokens: TokenSet): TokenSet {
  // `expires_in: 0` is a server that does not know the lifetime: the JWT `exp` or the default decides.
  if (tokens?.expiresInSeconds === 0) tokens = { ...tokens, expiresInSeconds: undefined };
  const refreshProblem =
    tokens?.refreshToken === undefined
      ? undefined
      : typeof tokens.refreshToken !== 'string' || tokens.refreshToken.length === 0
        ? 'the refresh token is not a non-empty string'
        : !VSCHARS.test(tokens.refreshToken)
          ? 'the refresh token has characters RFC 6749 does not allow (visible ASCII only)'
          : undefined;
  const problem =
    typeof tokens !== 'object' || tokens === null
      ? 'no tokens'
      : typeof tokens.accessToken !== 'string' || tokens.accessToken.length === 0
        ? 'the access token is missing or empty'
        : !B64TOKEN.test(tokens.accessToken)
          ? "the access token has characters RFC 6750's b64token does not allow (it could not be sent in an Authorization header)"
          : refreshProblem ??
            (tokens.expiresInSeconds !== undefined && !(Number.isFinite(tokens.expiresInSeconds) && tokens.expiresInSeconds > 0)
              ? 'expires_in is not a positive number of seconds'
              : undefined);
  if (problem) {
    const error = new RefreshUnavailableError(`The token endpoint response has no usable tokens: ${problem}`);
    if (refreshProblem === undefined && typeof tokens?.refreshToken === 'string') {
      withRotatedRefreshToken(error, tokens.refreshToken);
    }
    throw error;
  }
  return {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    expiresInSeconds: tokens.expiresInSeconds,
    tokenType: typeof tokens.tokenType === 'string' ? tokens.tokenType.slice(0, 40) : undefined,
    subject: typeof tokens.subject === 'string' ? tokens.subject.slice(0, 256) : undefined,
    claims: typeof tokens.claims === 'object' && tokens.claims !== null && !Array.isArray(tokens.claims) ? tokens.claims : undefined,
    // A hint, not a credential the broker relies on: kept only when it is a sane size.
    idToken: typeof tokens.idToken === 'string' && tokens.idToken.length <= 16_384 ? tokens.idToken : undefined,
    refreshExpiresInSeconds: typeof tokens.refreshExpiresInSeconds === 'number' ? providerLifetimeSeconds(tokens.refreshExpiresInSeconds) : undefined,
  };
}

/** Resolves an endpoint URL given in the worker's config against the worker's location. */
export function resolveEndpointUrl(url: string, label: string): string {
  if (typeof url !== 'string' || url === '') throw new TypeError(`${label} must be a URL`);
  const base = (globalThis as { location?: { href: string } }).location?.href;
  try {
    return new URL(url, base).href;
  } catch {
    throw new TypeError(`${label} is not a valid URL: ${url}`);
  }
}
