/**
 * Sealed mode: the worker adds the access token to API requests itself, so no page ever
 * holds it. Only requests to the allowlist are touched; navigations, no-cors requests
 * and every other origin pass through untouched, without a token.
 */
import { GENERATION_HEADER, isAllowedUrl, type AllowlistEntry } from '../protocol/index.js';
import type { DpopFetch } from './adapters/types.js';
import type { TokenBroker } from './broker.js';
import type { DpopKey } from './dpop.js';

/** True when the worker may sign this request. */
export function shouldSign(request: Pick<Request, 'url' | 'mode' | 'headers'>, allowlist: readonly AllowlistEntry[]): boolean {
  if (request.mode === 'navigate' || request.mode === 'no-cors' || request.mode === 'websocket' as RequestMode) return false;
  // A request that carries its own credentials is the app's business.
  if (request.headers.has('authorization')) return false;
  return isAllowedUrl(request.url, allowlist);
}

/**
 * Fetches `request` with `Authorization: Bearer` added, with `redirect: 'manual'`: a
 * redirect answer fails the request (unless the page itself asked for `manual`), so the
 * token never follows a hop the worker cannot check. A 401 or 403 comes back with the
 * token's generation in a header, so the page can report which token failed without
 * holding it. Without a usable session the request goes out unsigned and the server
 * decides (the page's interceptor then gets the typed error when it asks for a refresh).
 */
export async function signedFetch(request: Request, broker: TokenBroker, fetchFn: typeof fetch, dpopFetch?: DpopFetch): Promise<Response> {
  let token: { accessToken: string; generation: number; dpop?: DpopKey } | undefined;
  try {
    token = await broker.sealedToken();
  } catch {
    token = undefined;
  }
  if (!token) return fetchFn(request);
  // A signed request never follows a redirect: the worker cannot see where an opaque
  // redirect points, so it cannot check the next hop against the allowlist.
  const manual: typeof fetch = (input, init) => fetchFn(new Request(input, { ...init, redirect: 'manual' }));
  let response: Response;
  if (token.dpop && dpopFetch) {
    response = await dpopFetch(request, token.accessToken, token.dpop, manual);
  } else {
    const headers = new Headers(request.headers);
    headers.set('Authorization', `Bearer ${token.accessToken}`);
    response = await manual(new Request(request, { headers }));
  }
  if (response.type === 'opaqueredirect') {
    // The page asked to see redirects itself: it gets this one, without the token going anywhere.
    if (request.redirect === 'manual') return response;
    console.warn(`sw-token-broker: ${request.url} answered with a redirect; a signed request does not follow redirects (sealed mode). Call the final URL.`);
    return Response.error();
  }
  if (response.status !== 401 && response.status !== 403) return response;
  const marked = new Headers(response.headers);
  marked.set(GENERATION_HEADER, String(token.generation));
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers: marked });
}
