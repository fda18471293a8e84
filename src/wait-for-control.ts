/**
 * Sealed mode needs the page controlled by the broker's worker, or its requests are not
 * signed; an offline queue needs it too, or the page's writes never reach the queue. A page
 * loaded with Shift+Reload (or opened while the worker installed, in Firefox) is not
 * controlled: the worker is asked to claim it, and failing that, in sealed mode, the page
 * reloads once (a flag in sessionStorage prevents a loop).
 */
import { ServiceWorkerUnavailableError } from '../protocol/index.js';

/**
 * Resolves once the page is controlled by `registration`'s active worker.
 *
 * @param claim asks the worker to `clients.claim()` (the `claim` message).
 * @param reload whether a page still uncontrolled after the claim reloads once (sealed mode:
 *   an unsigned page is useless); without it the page stays as it is and `false` says so.
 * @returns whether the page is controlled.
 * @throws ServiceWorkerUnavailableError when the page is still not controlled after that reload.
 */
export async function waitForControl(registration: ServiceWorkerRegistration, claim: () => Promise<unknown>, reload = true): Promise<boolean> {
  const flag = `sw-token-broker:reloaded:${registration.scope}`;
  const controlled = () => navigator.serviceWorker.controller?.scriptURL === registration.active?.scriptURL;
  const changed = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      navigator.serviceWorker.addEventListener('controllerchange', () => (clearTimeout(timer), resolve()), { once: true });
    });
  if (!controlled()) await changed(1000);
  if (!controlled()) {
    await claim();
    if (!controlled()) await changed(2000);
  }
  if (controlled()) {
    sessionStorage.removeItem(flag);
    return true;
  }
  if (!reload) return false;
  if (sessionStorage.getItem(flag)) {
    sessionStorage.removeItem(flag);
    throw new ServiceWorkerUnavailableError('The page is not controlled by the broker worker, even after a reload; its requests cannot be signed');
  }
  sessionStorage.setItem(flag, '1');
  location.reload();
  // The reload replaces this page; nothing after this runs.
  return new Promise<never>(() => {});
}
