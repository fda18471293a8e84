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
  const url = parsedRequestUrl(requestUrl);
  return url !== undefined && allowlist.some((entry) => entryMatches(url, entry));
}

/**
 * Which of `entries` a request URL falls under, the most specific (longest path prefix)
 * first: the index of the entry whose API token it gets, or undefined. Page and worker pick
 * the same way (the page caches by it, the worker decides by it).
 */
export function tokenTargetFor(requestUrl: string | URL, entries: readonly AllowlistEntry[]): number | undefined {
  const url = parsedRequestUrl(requestUrl);
  let best: number | undefined;
  entries.forEach((entry, index) => {
    if (url && entryMatches(url, entry) && (best === undefined || entry.pathPrefix.length > entries[best]!.pathPrefix.length)) best = index;
  });
  return best;
}

function parsedRequestUrl(requestUrl: string | URL): URL | undefined {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return undefined;
  }
  return url.username || url.password ? undefined : url;
}

function entryMatches(url: URL, { origin, pathPrefix }: AllowlistEntry): boolean {
  if (url.origin !== origin) return false;
  if (pathPrefix === '/' || pathPrefix === '') return true;
  if (pathPrefix.endsWith('/')) return url.pathname.startsWith(pathPrefix);
  return url.pathname === pathPrefix || url.pathname.startsWith(pathPrefix + '/');
}
