/**
 * Sealed mode: the worker adds the access token to API requests itself, so no page ever
 * holds it. Only requests to the allowlist are touched; navigations, no-cors requests
 * and every other origin pass through untouched, without a token.
 */
import * as oauth from 'oauth4webapi';
import { GENERATION_HEADER, isAllowedUrl, type AllowlistEntry } from '../protocol/index.js';
import type { TokenBroker } from './broker.js';
import { dpopHandle, withNonceRetry, type DpopKey } from './dpop.js';

/** True when the worker may sign this request. */
export function shouldSign(request: Pick<Request, 'url' | 'mode' | 'headers'>, allowlist: readonly AllowlistEntry[]): boolean {
  if (request.mode === 'navigate' || request.mode === 'no-cors' || request.mode === 'websocket' as RequestMode) return false;
  // A request that carries its own credentials is the app's business.
  if (request.headers.has('authorization')) return false;
  return isAllowedUrl(request.url, allowlist);
}

/**
 * Fetches `request` with `Authorization: Bearer` added. A 401 or 403 comes back with the
 * token's generation in a header, so the page can report which token failed without
 * holding it. Without a usable session the request goes out unsigned and the server
 * decides (the page's interceptor then gets the typed error when it asks for a refresh).
 */
export async function signedFetch(request: Request, broker: TokenBroker, fetchFn: typeof fetch): Promise<Response> {
  let token: { accessToken: string; generation: number; dpop?: DpopKey } | undefined;
  try {
    token = await broker.sealedToken();
  } catch {
    token = undefined;
  }
  if (!token) return fetchFn(request);
  let response: Response;
  if (token.dpop) {
    response = await dpopFetch(request, token.accessToken, token.dpop, fetchFn);
  } else {
    const headers = new Headers(request.headers);
    headers.set('Authorization', `Bearer ${token.accessToken}`);
    response = await fetchFn(new Request(request, { headers }));
  }
  if (response.status !== 401 && response.status !== 403) return response;
  const marked = new Headers(response.headers);
  marked.set(GENERATION_HEADER, String(token.generation));
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers: marked });
}

/**
 * `Authorization: DPoP <token>` and a fresh proof (htm, htu, ath, and the resource
 * server's nonce once it sent one), made by oauth4webapi. The original request keeps its
 * mode, credentials and body: only its headers change. A `use_dpop_nonce` challenge is
 * answered once, with a copy of the request made before the first attempt.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7
 */
async function dpopFetch(request: Request, accessToken: string, key: DpopKey, fetchFn: typeof fetch): Promise<Response> {
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
