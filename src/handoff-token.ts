/**
 * The two handoff-mode steps every HTTP integration takes (the axios interceptors and the
 * fetch wrapper), so both follow one rule.
 */
import { ErrorCode, hasErrorCode } from '../protocol/index.js';
import type { BrokerClient } from './client.js';

/**
 * The token an API request goes out with, or undefined when logged out: it is sent bare and
 * the server decides (public endpoints keep working). With the worker's offline queue, a
 * token that could not be refreshed (offline, most likely) sends the request bare too: the
 * worker keeps a write that fails and signs it at replay; one that reaches the server gets
 * its 401, and the retry the typed error.
 */
export async function tokenToSend(broker: Pick<BrokerClient, 'getAccessToken'> & { readonly queuesOffline?: boolean }, url: string | URL): Promise<string | undefined> {
  try {
    return await broker.getAccessToken(url);
  } catch (error) {
    if (hasErrorCode(error, ErrorCode.NotLoggedIn)) return undefined;
    if (broker.queuesOffline === true && hasErrorCode(error, ErrorCode.RefreshUnavailable)) return undefined;
    throw error;
  }
}

/**
 * After a 401 to a request to `url` sent with `failedToken` (undefined: sent bare): the token
 * to retry with (that API's), and whether the worker refreshed for it. A request sent bare
 * (logged out at the time) retries with a token now, if there is one.
 */
export async function tokenAfterUnauthorized(
  broker: Pick<BrokerClient, 'getAccessToken' | 'reportUnauthorized'>,
  failedToken: string | undefined,
  url: string | URL,
): Promise<{ token?: string; refreshed: boolean }> {
  if (failedToken === undefined) return { token: await broker.getAccessToken(url), refreshed: false };
  const result = await broker.reportUnauthorized({ failedToken, url: String(url) });
  return { token: result.mode === 'handoff' ? result.accessToken : undefined, refreshed: result.refreshed };
}

/**
 * The resource servers' DPoP nonces (RFC 9449 §9), per broker and origin: the latest
 * `DPoP-Nonce` each sent, put in the next proofs for it.
 */
const dpopNonces = new WeakMap<object, Map<string, string>>();

/**
 * The headers that carry `token` on one request: `Authorization: Bearer`, or with a session
 * bound by DPoP, `Authorization: DPoP` and a proof the worker signed for this method and URL
 * (with the server's nonce once it sent one).
 */
export async function credentialHeaders(
  broker: Partial<Pick<BrokerClient, 'dpopProof'>>,
  method: string,
  url: string | URL,
  token: string,
): Promise<Record<string, string>> {
  const nonces = dpopNonces.get(broker);
  const nonce = nonces?.get((url instanceof URL ? url : new URL(url)).origin);
  const proof = await broker.dpopProof?.(method.toUpperCase(), url, token, nonce);
  return proof ? { Authorization: `DPoP ${token}`, DPoP: proof } : { Authorization: `Bearer ${token}` };
}

/**
 * Keeps the `DPoP-Nonce` a response from `url` carries. Returns true when the response is the
 * server's `use_dpop_nonce` challenge (a 401 asking for a proof with that nonce): the request is
 * then sent once more with a new proof, without a refresh.
 */
export function takeDpopNonce(broker: object, url: string | URL, status: number, headers: { get(name: string): string | null | undefined }): boolean {
  const nonce = headers.get('dpop-nonce');
  if (typeof nonce !== 'string' || !/^[\x21-\x7e]{1,512}$/.test(nonce)) return false;
  let nonces = dpopNonces.get(broker);
  if (!nonces) dpopNonces.set(broker, (nonces = new Map()));
  nonces.set(new URL(url).origin, nonce);
  return status === 401 && /error="?use_dpop_nonce"?/.test(headers.get('www-authenticate') ?? '');
}

/** The token in an `Authorization` header of either scheme the broker sets, or undefined. */
export function tokenInHeader(header: unknown): string | undefined {
  const match = typeof header === 'string' ? /^(?:Bearer|DPoP)\s+(.+)$/i.exec(header) : null;
  return match ? match[1] : undefined;
}

/**
 * RFC 9470's step-up error for a 401 carrying the challenge, or undefined. Its parser loads on
 * the first 401 only: it stays out of what a page loads before registering.
 */
export async function stepUpErrorFor(status: number, wwwAuthenticate: string | null | undefined, cause?: unknown) {
  if (!wwwAuthenticate?.includes('insufficient_user_authentication')) return undefined;
  return (await import('../protocol/step-up.js')).stepUpError(status, wwwAuthenticate, cause);
}
