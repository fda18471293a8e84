/** The names a login by redirect (and in a popup) carries its result under: page and worker agree on them. */

/** The fragment key the worker puts on the return URL after a login by redirect. */
export const REDIRECT_RESULT_KEY = 'sw-token-broker';
/**
 * A login in a popup ends on the callback URL with this query parameter and the result in the
 * fragment: a page the worker answers itself (no app code runs in the popup), which the opener reads.
 */
export const POPUP_DONE_PARAM = 'sw-token-broker-popup';
/** The fragment key of the one-time value that binds a redirect result to the tab that started the login. */
export const REDIRECT_CHECK_KEY = 'check';

/** The longest redirect-login callback query (`finishLogin.callbackSearch`) the worker reads. */
export const MAX_CALLBACK_SEARCH_LENGTH = 4096;

/**
 * The fragment a login by redirect ends with, for `takeRedirectResult()`: ok or the error's code
 * and message, and the tab's one-time value. Built by the worker's callback, the vault client
 * and the page-side fallback alike.
 */
export function redirectResultFragment(error: { code: string; message: string } | null | undefined, check: string | null | undefined): string {
  const result = new URLSearchParams(error ? { [REDIRECT_RESULT_KEY]: 'error', code: error.code, message: error.message } : { [REDIRECT_RESULT_KEY]: 'ok' });
  if (check) result.set(REDIRECT_CHECK_KEY, check);
  return result.toString();
}
