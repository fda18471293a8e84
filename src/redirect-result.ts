/**
 * The page's end of a login by redirect: a one-time value the tab keeps in sessionStorage
 * when it starts the login, and the result the browser brings back in the URL fragment,
 * which counts only when it carries that value. Used by the broker's client and the vault's.
 */
import { BrokerError, ErrorCode, REDIRECT_CHECK_KEY, REDIRECT_RESULT_KEY, errorFromWire } from '../protocol/index.js';

/** This tab's sessionStorage; undefined where the site's data is blocked (reading it throws there). */
function tabStorage(): Storage | undefined {
  try {
    return sessionStorage;
  } catch {
    return undefined;
  }
}

/**
 * Creates and keeps this tab's one-time value for a login about to start.
 * @throws BrokerError `not-supported` where the site may keep no data (no place for the value, so no way to check the return).
 */
export function startRedirectCheck(storageKey: string): string {
  const storage = tabStorage();
  if (!storage) throw new BrokerError(ErrorCode.NotSupported, "This page may not keep data (the site's data is blocked): a login by redirect cannot be checked on its return");
  const check = crypto.randomUUID();
  storage.setItem(storageKey, check);
  return check;
}

/**
 * The return from an RP-initiated logout: a `state` query parameter equal to the one this tab
 * kept is removed from the URL, and the kept value forgotten. Anything else is left alone (a
 * `state` of the app's own). Nothing in it is trusted: it carries no token.
 *
 * @returns true when this page is the return from this tab's logout at the provider.
 */
export function takeLogoutReturn(storageKey: string): boolean {
  const expected = tabStorage()?.getItem(storageKey);
  const url = new URL(location.href);
  if (!expected || url.searchParams.get('state') !== expected) return false;
  tabStorage()?.removeItem(storageKey);
  url.searchParams.delete('state');
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  return true;
}

/**
 * Reads and clears the result of a login by redirect from this page's URL fragment. A link
 * to `#sw-token-broker=ok` (or to an error with attacker text) that this tab did not start
 * is ignored and cleared.
 *
 * @returns true after a successful login, false when this page is not a return from one.
 * @throws LoginFailedError (state mismatch, replay, error response, refused code) or another BrokerError.
 */
export function takeRedirectResult(storageKey: string): boolean {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const result = fragment.get(REDIRECT_RESULT_KEY);
  if (result === null) return false;
  history.replaceState(history.state, '', location.pathname + location.search);
  const expected = tabStorage()?.getItem(storageKey);
  tabStorage()?.removeItem(storageKey);
  if (!expected || fragment.get(REDIRECT_CHECK_KEY) !== expected) {
    console.warn('sw-token-broker: ignored a login result this tab did not start (a link, or a replayed URL)');
    return false;
  }
  if (result === 'ok') return true;
  throw errorFromWire({ code: fragment.get('code'), message: fragment.get('message') });
}
