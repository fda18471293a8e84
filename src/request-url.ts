/**
 * The URL a request from this page will really use. XHR and fetch resolve a relative URL
 * against the document's base URL, which a `<base href>` element changes (injected HTML
 * needs no script to add one), not against `location`. The allowlist is checked on this.
 */
export function resolveRequestUrl(url: string | URL): URL {
  // Already absolute: every request resolves its URL once and passes it on (none is changed).
  if (url instanceof URL) return url;
  const base = typeof document !== 'undefined' && document.baseURI ? document.baseURI : location.href;
  return new URL(url, base);
}
