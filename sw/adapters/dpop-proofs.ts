/**
 * DPoP proofs for the OAuth adapters, made by oauth4webapi (RFC 9449): on token requests
 * through its request options, and on the API requests the worker signs in sealed mode.
 * Kept apart from the broker's core so a worker without DPoP does not bundle it.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449
 */
import * as oauth from 'oauth4webapi';
import { RefreshUnavailableError } from '../../protocol/index.js';
import type { DpopKey } from '../dpop.js';

const handles = new Map<string, oauth.DPoPHandle>();

/**
 * oauth4webapi's proof maker for a key. One per key, kept while the worker lives, so the
 * server nonces it learned (`DPoP-Nonce`) are reused instead of costing a retry each time.
 */
export function dpopHandle(key: DpopKey): oauth.DPoPHandle {
  let handle = handles.get(key.id);
  if (!handle) {
    handle = oauth.DPoP({}, key.keys);
    if (handles.size >= 8) handles.delete(handles.keys().next().value as string);
    handles.set(key.id, handle);
  }
  return handle;
}

/**
 * Runs a DPoP request once more when the server answers `use_dpop_nonce`: the handle has
 * then learned the nonce (RFC 9449 §8). Only once: a second nonce error is a real failure.
 */
export async function withNonceRetry<T>(attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (error) {
    if (!oauth.isDPoPNonceError(error)) throw error;
  }
  try {
    return await attempt();
  } catch (error) {
    if (oauth.isDPoPNonceError(error)) throw new RefreshUnavailableError('The server kept asking for a new DPoP nonce', { cause: error });
    throw error;
  }
}

/**
 * `Authorization: DPoP <token>` and a fresh proof (htm, htu, ath, and the resource
 * server's nonce once it sent one), made by oauth4webapi. The original request keeps its
 * mode, credentials and body: only its headers change. A `use_dpop_nonce` challenge is
 * answered once, with a copy of the request made before the first attempt.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7
 */
export async function dpopResourceFetch(request: Request, accessToken: string, key: DpopKey, fetchFn: typeof fetch): Promise<Response> {
  const spare = request.clone();
  let attempt = 0;
  const send = async () => {
    const original = attempt++ === 0 ? request : spare;
    try {
      return await oauth.protectedResourceRequest(accessToken, original.method, new URL(original.url), original.headers, null, {
        DPoP: dpopHandle(key),
        // The allowlist decides which URLs get a token; plain http is allowed for loopback APIs.
        [oauth.allowInsecureRequests]: true,
        [oauth.customFetch]: (_url, init) => fetchFn(new Request(original, { headers: init.headers })),
      });
    } catch (error) {
      // A 401 with a challenge other than a nonce request is the server's answer: hand it to the page.
      if (error instanceof oauth.WWWAuthenticateChallengeError && !oauth.isDPoPNonceError(error)) return error.response;
      throw error;
    }
  };
  try {
    return await withNonceRetry(send);
  } catch (error) {
    if (error instanceof oauth.WWWAuthenticateChallengeError) return error.response;
    throw error;
  }
}
