/**
 * The rule for which request URLs may carry a token. Shared because the page applies
 * it in handoff mode and the worker in sealed mode; both must agree exactly.
 */

/** One parsed allowlist entry: an exact origin and a path prefix ("/" for the whole origin). */
export interface AllowlistEntry {
  origin: string;
  pathPrefix: string;
}

/**
 * Parses allowlist entries such as `https://api.example.com` or `https://api.example.com/v1/`.
 *
 * @throws {TypeError} when an entry is not an absolute http(s) URL, or carries a query, fragment or credentials.
 */
export function parseAllowlist(entries: readonly string[]): AllowlistEntry[] {
  if (!Array.isArray(entries)) throw new TypeError('allowlist must be an array of URLs');
  return entries.map((entry) => {
    if (typeof entry !== 'string') throw new TypeError('allowlist entries must be strings');
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new TypeError(`allowlist entry is not an absolute URL: ${entry}`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`allowlist entry must be http(s): ${entry}`);
    if (url.search || url.hash || url.username || url.password) {
      throw new TypeError(`allowlist entry must not have a query, fragment or credentials: ${entry}`);
    }
    return { origin: url.origin, pathPrefix: url.pathname };
  });
}

/**
 * True when `requestUrl` is on an allowed origin (scheme, host and port equal) and under
 * the entry's path prefix. Paths are compared after URL normalisation, so `/api/../admin`
 * does not match `/api/`; a prefix without a trailing slash matches whole segments only.
 */
export function isAllowedUrl(requestUrl: string | URL, allowlist: readonly AllowlistEntry[]): boolean {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  return allowlist.some(({ origin, pathPrefix }) => {
    if (url.origin !== origin) return false;
    if (pathPrefix === '/' || pathPrefix === '') return true;
    if (pathPrefix.endsWith('/')) return url.pathname.startsWith(pathPrefix);
    return url.pathname === pathPrefix || url.pathname.startsWith(pathPrefix + '/');
  });
}
