/**
 * What every peer page shares: its provider's issuer (from the page's own origin), and the
 * `window.peer` the benchmark drives: `api.get(path)`, `login()` (its own redirect flow),
 * `loggedIn()`.
 */
export interface PeerPage {
  api: { get(path: string): Promise<unknown> };
  login(): Promise<unknown>;
  /** The login happens in the page (a password form), not by a redirect to the provider. */
  loginInPage?: boolean;
  loggedIn(): Promise<boolean>;
  /** Logs out as the library's docs do, at the provider too where it has one (RP-initiated logout). */
  logout(): Promise<unknown>;
  /** Plain axios with the current access token in a fixed header (the floor; one page has it). */
  plain?(): Promise<{ get(path: string): Promise<unknown> }>;
}

declare global {
  interface Window {
    peer: PeerPage;
  }
}

export async function issuerOfThisOrigin(): Promise<string> {
  return ((await (await fetch('/auth/config')).json()) as { issuer: string }).issuer;
}

export function ready(peer: PeerPage): void {
  window.peer = peer;
  document.body.dataset.ready = 'true';
}

/** An error for a failed API call, with its status, as axios would reject. */
export async function checked(response: Response): Promise<unknown> {
  if (!response.ok) throw Object.assign(new Error(`HTTP ${response.status}`), { status: response.status });
  return response.json();
}

/**
 * A setting of this page's variant (`?name=value` on the URL the benchmark opens), kept in the
 * tab's sessionStorage so that it survives the login's redirect back to this origin.
 */
export function variantSetting(name: string): string | null {
  const key = `bench-variant-${name}`;
  const value = new URLSearchParams(location.search).get(name) ?? sessionStorage.getItem(key);
  if (value !== null) sessionStorage.setItem(key, value);
  return value;
}
