/**
 * The end of a login by redirect where no worker answers the callback: the app's page loads at
 * the callback URL (the server serves it there), and the page-side broker exchanges the code
 * as the worker would, then sends the browser on to where the login started with the same
 * result in the fragment (`takeRedirectResult()` reads it there). Page script sees the code
 * here: in this mode it can read the tokens anyway.
 */
import { redirectResultFragment, type OkReply, type RequestFieldsByType } from '../protocol/index.js';

type FinishLogin = (fields: RequestFieldsByType['finishLogin']) => Promise<OkReply<'finishLogin'>>;

/** True when this page is the return from the provider at `callbackUrl`. */
export function isLoginCallback(callbackUrl: string | undefined): boolean {
  if (!callbackUrl) return false;
  const callback = new URL(callbackUrl);
  const here = new URL(location.href);
  return here.origin === callback.origin && here.pathname === callback.pathname && (here.searchParams.has('state') || here.searchParams.has('error'));
}

/** Finishes the login and goes on to where it started; never resolves (the page is replaced). */
export async function finishLoginInPage(finish: FinishLogin, scope: string): Promise<never> {
  const { returnTo, check, error } = await finish({ callbackSearch: location.search });
  let target = new URL(returnTo, location.origin);
  // Checked when the login started; checked again here, on the URL the browser will follow.
  if (target.origin !== location.origin) target = new URL(scope);
  target.hash = redirectResultFragment(error, check);
  location.replace(target.href);
  return new Promise<never>(() => {});
}
