/** Small HTTP helpers shared by the adapters: bounded requests and status classes. */
import { RefreshUnavailableError } from '../../protocol/index.js';

/** Statuses by which a token endpoint refuses a grant or credentials (the session cannot go on). */
export function isRejectionStatus(status: number): boolean {
  return status === 400 || status === 401 || status === 403;
}

/** A fetch bounded by the context timeout; a network error or timeout becomes `RefreshUnavailableError`. */
export async function boundedFetch(
  fetchFn: typeof fetch,
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<Response> {
  try {
    // redirect: 'error' because a 307/308 would re-send the refresh token to wherever it points.
    return await fetchFn(url, { ...init, redirect: 'error', cache: 'no-store', signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw unreachable(error, timeoutMs);
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
