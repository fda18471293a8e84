/**
 * Sealed mode, in development: the hint handoff mode's interceptors give for a 401 from a URL
 * outside the worker's allowlist (the worker added no token there, and refreshes none). Sealed
 * apps call plain `fetch`, so no page code sees their responses: the browser's resource timing
 * does (`responseStatus`, Chromium 109+; same-origin or CORS responses). Other browsers report
 * no status, and stay silent.
 */
import { hint } from './hints.js';

/** Watches this page's responses for 401s from outside `broker`'s allowlist, and says so once per origin. */
export function watchUnauthorizedOutside(broker: { isApiUrl(url: string | URL): boolean }): void {
  if (typeof PerformanceObserver !== 'function' || !PerformanceObserver.supportedEntryTypes?.includes('resource')) return;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if ((entry as PerformanceResourceTiming & { responseStatus?: number }).responseStatus !== 401) continue;
      const url = new URL(entry.name);
      if (broker.isApiUrl(url)) continue;
      hint(
        `outside:${url.origin}`,
        `a 401 from ${url.origin}${url.pathname}, which is outside the worker's apiAllowlist: the worker added no token and refreshes none for it. Add its origin (and path prefix) to apiAllowlist in the worker if it is your API.`,
      );
    }
  }).observe({ type: 'resource' });
}
