/**
 * Vault mode's protocol between the app's page and the vault frame (another origin). The
 * app opens one MessagePort to the frame with `connect`; every call and reply then goes
 * over that port. Nothing in it is ever a token: requests go out from the vault with the
 * token added by the vault's worker, and only their responses come back.
 */
import type { WireError } from './errors.js';
import type { SessionStatus } from './messages.js';

export const VAULT_PROTOCOL = 'sw-token-broker-vault';
export const VAULT_PROTOCOL_VERSION = 1;

/** An HTTP request the vault makes for the app. Bodies are text (JSON, form data as text); streams are out of scope. */
export interface VaultRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
}

/** What the app gets back: never the request's Authorization header, only the response. */
export interface VaultResponse {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  body: string;
}

/** The first message, on the window, carrying the port every later call uses. */
export interface VaultConnect {
  protocol: typeof VAULT_PROTOCOL;
  v: number;
  type: 'connect';
}

/** The frame's answer to `connect`, on the port. */
export type VaultConnected = { type: 'ready'; mode: 'vault'; loginKind: 'password' | 'redirect' } | { type: 'refused'; error: WireError };

/**
 * The fragment key under which the vault page, loaded by a callback no worker answered
 * (WebKit), sends the callback's query to the app page, which passes it to the vault frame.
 */
export const VAULT_CALLBACK_KEY = 'sw-token-broker-callback';

/** The query parameter of the vault page that a login by redirect comes back to: the app URL it forwards the result to. */
export const VAULT_RETURN_PARAM = 'sw-token-broker-return';

export type VaultCall =
  | { type: 'request'; request: VaultRequest }
  | { type: 'login'; credentials: Record<string, string> }
  /** Starts a login by redirect: `returnTo` is the app page's absolute URL, `check` the tab's one-time value. */
  | { type: 'authorize'; returnTo: string; check: string; authorizationParams?: Record<string, string | number> }
  /** Finishes a login whose callback the vault's worker did not answer (see VAULT_CALLBACK_KEY). */
  | { type: 'finishLogin'; callbackSearch: string }
  | { type: 'logout' }
  | { type: 'status' };

export type VaultMessage = VaultCall & { id: string };

export interface VaultResultByType {
  request: VaultResponse;
  login: SessionStatus;
  authorize: { authorizationUrl: string };
  /** `returnTo`: the app page that started the login (null when unknown). */
  finishLogin: { returnTo: string | null; check: string | null; error: WireError | null };
  logout: SessionStatus;
  status: SessionStatus;
}

export type VaultReply = { id: string; ok: true; result: unknown } | { id: string; ok: false; error: WireError };
