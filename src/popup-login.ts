/**
 * Login in a popup: the page opens a window (in the click's own task, as popup blockers
 * require), the worker prepares the authorization request as for a redirect, and the popup
 * goes to the provider. The provider sends the popup back to the callback URL, where the worker
 * exchanges the code (it never reaches a page) and answers with a page of its own; this tab
 * reads that page's address (same origin again), then closes the popup. Every tab hears the
 * login from the worker, as after a redirect.
 */
import { BrokerError, ErrorCode, LoginFailedError, POPUP_DONE_PARAM, REDIRECT_CHECK_KEY, REDIRECT_RESULT_KEY, errorFromWire, type RedirectLoginOptions } from '../protocol/index.js';
import { definedParams } from '../protocol/authorization-params.js';

export interface PopupLoginOptions extends Pick<RedirectLoginOptions, 'authorizationParams'> {
  /** How long the user may take, in ms (default 120 000); then the popup closes and the call rejects `popup-timeout`. */
  timeoutMs?: number;
  /** A window the app opened itself (for example before an await of its own); default: one opened here. */
  popup?: Window;
}

/** What the popup login needs of the client: the worker's `authorize` answer. */
export type AuthorizeInPopup = (fields: { returnTo: string; check: string; popup: true; authorizationParams?: Record<string, string | number> }) => Promise<{ authorizationUrl: string }>;

const POLL_MS = 200;

/**
 * Runs a login in a popup; resolves when the worker stored the new session.
 *
 * @throws BrokerError `popup-blocked`, `popup-closed`, `popup-timeout` (no session changed), LoginFailedError, `forbidden-parameter`.
 */
export async function loginInPopup(authorize: AuthorizeInPopup, options: PopupLoginOptions = {}): Promise<void> {
  // Before any await: a popup opened later than the click's task is blocked.
  const popup = options.popup ?? window.open('', 'sw-token-broker-login', 'popup,width=500,height=680');
  if (!popup) throw new BrokerError(ErrorCode.PopupBlocked, 'The browser blocked the login popup: call loginWithPopup() from a click handler, or allow popups for this site');
  const check = crypto.randomUUID();
  let authorizationUrl: string;
  try {
    const authorizationParams = definedParams(options.authorizationParams);
    ({ authorizationUrl } = await authorize({ returnTo: location.pathname, check, popup: true, ...(authorizationParams ? { authorizationParams } : {}) }));
  } catch (error) {
    popup.close();
    throw error;
  }
  popup.location.href = authorizationUrl;
  return watch(popup, check, options.timeoutMs ?? 120_000);
}

/** Waits for the popup to come back with the result, to be closed, or for the time to run out. */
function watch(popup: Window, check: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      const result = resultIn(popup);
      if (result) {
        clearInterval(timer);
        popup.close();
        if (result.get(REDIRECT_CHECK_KEY) !== check) return reject(new LoginFailedError('The popup came back with the result of another login'));
        if (result.get(REDIRECT_RESULT_KEY) === 'ok') return resolve();
        return reject(errorFromWire({ code: result.get('code'), message: result.get('message') }));
      }
      if (popup.closed) {
        clearInterval(timer);
        return reject(new BrokerError(ErrorCode.PopupClosed, 'The login popup was closed before the login finished'));
      }
      if (Date.now() - started > timeoutMs) {
        clearInterval(timer);
        popup.close();
        reject(new BrokerError(ErrorCode.PopupTimeout, `The login in the popup did not finish within ${Math.round(timeoutMs / 1000)} s`));
      }
    }, POLL_MS);
  });
}

/** The result fragment once the popup is on the worker's popup page, else undefined (elsewhere, or another origin). */
function resultIn(popup: Window): URLSearchParams | undefined {
  let here: URL;
  try {
    here = new URL(popup.location.href);
  } catch {
    return undefined; // at the provider: another origin, unreadable until it comes back
  }
  if (here.origin !== location.origin || !here.searchParams.has(POPUP_DONE_PARAM)) return undefined;
  const fragment = new URLSearchParams(here.hash.slice(1));
  return fragment.has(REDIRECT_RESULT_KEY) ? fragment : undefined;
}
