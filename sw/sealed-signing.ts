/**
 * Sealed mode: the worker adds the access token to API requests itself, so no page ever
 * holds it. Only requests to the allowlist are touched; navigations, no-cors requests
 * and every other origin pass through untouched, without a token.
 */
import { ERROR_HEADER, ErrorCode, GENERATION_HEADER, RETRIED_HEADER, SESSION_HEADER, hasErrorCode, isAllowedUrl, toWireError, type AllowlistEntry, type BrokerError } from '../protocol/index.js';
import { stepUpChallenge } from '../protocol/step-up.js';
import type { DpopFetch } from './adapters/types.js';
import type { SealedToken, TokenSource } from './token-source.js';

/** True when the worker may sign this request. */
export function shouldSign(request: Pick<Request, 'url' | 'mode' | 'headers'>, allowlist: readonly AllowlistEntry[]): boolean {
  if (request.mode === 'navigate' || request.mode === 'no-cors' || request.mode === 'websocket' as RequestMode) return false;
  // A request that carries its own credentials is the app's business.
  if (request.headers.has('authorization')) return false;
  return isAllowedUrl(request.url, allowlist);
}

/**
 * Fetches `request` with the access token added (`Authorization: Bearer`, or DPoP with a
 * proof), with `redirect: 'manual'`: a redirect answer fails the request (unless the page
 * itself asked for `manual`), so the token never follows a hop the worker cannot check.
 *
 * On a 401 the worker refreshes (one refresh for every request that reports the same
 * token) and retries once, when it could keep a copy of the request: `fetch`, ky or
 * ofetch need no page-side code. The answer to a retried request carries
 * {@link RETRIED_HEADER}; a 401 or 403 carries the generation of the token used, so the
 * page can report it without holding it. Without a session the request goes out unsigned
 * and the server decides; when the session it would carry ended (the server refused it,
 * its record vanished) or was replaced by another login, it is not sent at all: the answer
 * is a `401` the worker makes, with {@link ERROR_HEADER} and the typed error as its body.
 * A retry after a 401 is only ever signed with a token of the same session.
 */
export async function signedFetch(request: Request, broker: TokenSource, fetchFn: typeof fetch, dpopFetch?: DpopFetch): Promise<Response> {
  let token: SealedToken | undefined;
  try {
    token = await broker.sealedToken(request.url);
  } catch (error) {
    // A request meant for a session that is over is never sent bare as if nobody had logged in.
    if (hasErrorCode(error, ErrorCode.SessionEnded) || hasErrorCode(error, ErrorCode.SessionChanged)) return refusal(error);
    token = undefined;
  }
  if (!token) return fetchFn(request);
  // Signing builds a new Request and leaves this one unread, so a request without a body
  // can be replayed as it is; only a body needs a clone (the per-request cost of sealed mode).
  let replay: Request | undefined = request;
  if (request.body !== null) {
    try {
      replay = request.clone();
    } catch {
      replay = undefined; // a body already read: no retry
    }
  }
  const response = await sendSigned(request, token, fetchFn, dpopFetch);
  // RFC 9470's step-up challenge is no expired token: a refresh would not help, so none is made.
  if (response.status === 401 && replay && !stepUpChallenge(response.headers.get('www-authenticate'))) {
    let next: SealedToken | undefined;
    try {
      await broker.refresh({ failedGeneration: token.generation, session: token.session, url: request.url });
      next = await broker.sealedToken(request.url);
      // Rule 11: a login in another tab meanwhile must not get this request sent with its token.
      if (next.session !== token.session) next = undefined;
    } catch {
      // Session ended or endpoint down: the page's report of this 401 gets the typed error.
      next = undefined;
    }
    if (next) return marked(await sendSigned(replay, next, fetchFn, dpopFetch), next, true);
  }
  return marked(response, token, false);
}

/** The worker's own 401 for a request it did not send: the typed error, in a header and as the body. */
export function refusal(error: BrokerError): Response {
  const wire = toWireError(error);
  return new Response(JSON.stringify({ error: wire }), {
    status: 401,
    statusText: 'Unauthorized',
    headers: { 'content-type': 'application/json', [ERROR_HEADER]: wire.code },
  });
}

/** Sends `request` once with `token` (no retry), never following a redirect. */
export async function sendSigned(request: Request, token: SealedToken, fetchFn: typeof fetch, dpopFetch?: DpopFetch): Promise<Response> {
  // A signed request never follows a redirect: the worker cannot see where an opaque
  // redirect points, so it cannot check the next hop against the allowlist.
  const manual: typeof fetch = (input, init) => fetchFn(new Request(input, { ...init, redirect: 'manual' }));
  let response: Response;
  if (token.dpop && dpopFetch) {
    response = await dpopFetch(request, token.accessToken, token.dpop, manual);
  } else {
    const headers = new Headers(request.headers);
    headers.set('Authorization', `Bearer ${token.accessToken}`);
    response = await fetchFn(new Request(request, { headers, redirect: 'manual' }));
  }
  if (response.type === 'opaqueredirect') {
    // The page asked to see redirects itself: it gets this one, without the token going anywhere.
    if (request.redirect === 'manual') return response;
    console.warn(`sw-token-broker: ${request.url} answered with a redirect; a signed request does not follow redirects (sealed mode). Call the final URL.`);
    return Response.error();
  }
  return response;
}

/** Adds the generation and session of the token used to a 401 or 403, and the retried mark. */
function marked(response: Response, { generation, session }: SealedToken, retried: boolean): Response {
  const rejected = response.status === 401 || response.status === 403;
  if (!rejected && !retried) return response;
  if (response.type === 'opaqueredirect' || response.type === 'error') return response;
  const headers = new Headers(response.headers);
  if (rejected) headers.set(GENERATION_HEADER, String(generation));
  if (rejected && session !== undefined) headers.set(SESSION_HEADER, session);
  if (retried) headers.set(RETRIED_HEADER, '1');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
