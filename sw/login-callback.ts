/**
 * The end of a login by redirect: the browser navigates back from the provider to the
 * callback URL, the worker answers that navigation itself (exchanging the code, which so
 * never reaches a page) and sends the browser on to where the login started. A login in a
 * popup ends instead on a page the worker answers at the callback URL (no app code runs in
 * the popup), whose address the opener reads and closes.
 */
import { POPUP_DONE_PARAM, redirectResultFragment, toWireError } from '../protocol/index.js';
import type { RedirectLoginFinisher } from './token-source.js';

/**
 * Returns the handler for navigations to `callbackUrl`, or undefined when the endpoint has
 * no login by redirect. The handler answers with a 303 to the return path (or, for a popup,
 * to the worker's popup page), whose fragment carries `sw-token-broker=ok` or the typed error
 * for the page's `takeRedirectResult()` (or the opener's `loginWithPopup()`).
 *
 * @param scopePath where to send the browser when the callback is unknown (forged or replayed).
 */
export function loginCallback(
  broker: RedirectLoginFinisher,
  callbackUrl: string | undefined,
  scopePath: string,
): ((request: Request) => Promise<Response> | undefined) | undefined {
  if (!callbackUrl) return undefined;
  const callback = new URL(callbackUrl);
  return (request) => {
    if (request.mode !== 'navigate') return undefined;
    const url = new URL(request.url);
    if (url.origin !== callback.origin || url.pathname !== callback.pathname) return undefined;
    if (url.searchParams.has(POPUP_DONE_PARAM) && !url.searchParams.has('state')) return Promise.resolve(popupPage());
    return answer(broker, url, scopePath);
  };
}

async function answer(broker: RedirectLoginFinisher, url: URL, scopePath: string): Promise<Response> {
  const { returnTo, check, error, popup } = await broker.finishRedirectLogin(url, scopePath);
  let target = new URL(returnTo, url.origin);
  // Checked when the login started; checked again here, on the URL the browser will follow.
  if (target.origin !== url.origin) target = new URL(scopePath, url.origin);
  if (popup) target = new URL(`${url.pathname}?${POPUP_DONE_PARAM}=1`, url.origin);
  target.hash = redirectResultFragment(error ? toWireError(error) : undefined, check);
  return Response.redirect(target.href, 303);
}

/** What the popup shows for the moment before its opener closes it: text, no script. */
function popupPage(): Response {
  const html = '<!doctype html><meta charset="utf-8"><title>Signed in</title><p>Signed in. This window closes by itself.</p>';
  return new Response(html, { headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'" } });
}
