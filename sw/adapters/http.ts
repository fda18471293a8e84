/**
 * What every adapter does the same way: bounded requests, status classes, reading a body,
 * checking a token set, resolving configured URLs.
 */
import { RefreshUnavailableError } from '../../protocol/index.js';
import type { EndpointContext, TokenSet } from './types.js';

/** Statuses by which a token endpoint refuses a grant or credentials (the session cannot go on). */
export function isRejectionStatus(status: number): boolean {
  return status === 400 || status === 401 || status === 403;
}

/**
 * Runs one HTTP request bounded by the context's timeout: `send` gets the abort signal.
 * A network error or a timeout becomes `RefreshUnavailableError`.
 */
export async function boundedRequest(context: EndpointContext, send: (signal: AbortSignal) => Promise<Response>): Promise<Response> {
  try {
    return await send(AbortSignal.timeout(context.timeoutMs));
  } catch (error) {
    throw unreachable(error, context.timeoutMs);
  }
}

/** The error for a request that never got an answer: a timeout, or a network failure. */
export function unreachable(error: unknown, timeoutMs: number): RefreshUnavailableError {
  const timedOut = (error as { name?: string })?.name === 'TimeoutError';
  return new RefreshUnavailableError(
    timedOut ? `The token endpoint did not answer within ${timeoutMs} ms` : 'The token endpoint could not be reached',
    { cause: error },
  );
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

/** Rejects token sets a server or a mapping function built from a garbage body; returns a clean copy. */
export function checkTokenSet(tokens: TokenSet): TokenSet {
  const valid =
    typeof tokens === 'object' &&
    tokens !== null &&
    typeof tokens.accessToken === 'string' &&
    tokens.accessToken.length > 0 &&
    (tokens.refreshToken === undefined || (typeof tokens.refreshToken === 'string' && tokens.refreshToken.length > 0)) &&
    (tokens.expiresInSeconds === undefined || (Number.isFinite(tokens.expiresInSeconds) && tokens.expiresInSeconds > 0));
  if (!valid) throw new RefreshUnavailableError('The token endpoint response has no usable tokens');
  return { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresInSeconds: tokens.expiresInSeconds };
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
