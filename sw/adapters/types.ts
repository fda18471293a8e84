/** What every token-endpoint adapter provides to the broker. */
import type { AuthorizationParams } from '../authorization-params.js';
import type { DpopKey } from '../dpop.js';

/** Tokens from a successful grant. */
export interface TokenSet {
  accessToken: string;
  /** Absent when the server does not rotate: the broker keeps the one it has. */
  refreshToken?: string;
  /** Lifetime of the access token in seconds, when the server says (`expires_in`). */
  expiresInSeconds?: number;
  /** `token_type` as the server sent it (`DPoP` for a token bound to the session's key); absent when it sent none. */
  tokenType?: string;
  /** Who the tokens are for (the id_token's `sub`), when the adapter knows; else the broker reads a JWT access token's `sub`. */
  subject?: string;
  /** The id_token's claims (without token hashes or the nonce), when the answer had one: `status().claims`. */
  claims?: Record<string, unknown>;
  /** How long the refresh token lives, when the provider says (`refresh_expires_in`, `refresh_token_expires_in`). */
  refreshExpiresInSeconds?: number;
  /** The id_token itself, kept in the worker for RP-initiated logout's `id_token_hint`; never sent to a page. */
  idToken?: string;
}

/** What the broker hands an adapter for each call. */
export interface EndpointContext {
  /** Injected so tests drive adapters without a network. */
  fetch: typeof fetch;
  /** Bound on each HTTP request, in ms. */
  timeoutMs: number;
  /** The session's DPoP key, when DPoP is on: every token request carries a proof made with it. */
  dpop?: DpopKey;
  /** A refresh for one API's token (`config.apis`): its `audience`, `resource` and `scope`, sent with the grant. */
  grantParameters?: Readonly<Record<string, string>>;
}

/**
 * A token endpoint: one way to log in, refresh and revoke.
 *
 * Adapters reject with the broker's typed errors only: `LoginFailedError` when the
 * server rejects credentials, `SessionEndedError` when it rejects the refresh grant, and
 * `RefreshUnavailableError` for a network error, a timeout, a 5xx or a body that is not
 * a token response.
 */
export interface TokenEndpoint {
  /**
   * Present when the adapter makes DPoP proofs (it sends them on token requests when the
   * context has a key): sends a sealed-mode API request with `Authorization: DPoP` and a proof.
   */
  readonly dpopFetch?: DpopFetch;
  /** True when the refresh grant sends {@link EndpointContext.grantParameters}: only then can `config.apis` ask for one token per API. */
  readonly sendsGrantParameters?: boolean;
  /** Logs in with credentials. Absent for endpoints that log in by redirect only ({@link redirectLogin}). */
  login?(credentials: Readonly<Record<string, string>>, context: EndpointContext): Promise<TokenSet>;
  refresh(refreshToken: string, context: EndpointContext): Promise<TokenSet>;
  /**
   * Reads the provider's userinfo with `accessToken` (DPoP-bound when the context has a key),
   * checking its `sub` against `expectedSubject` when given; `'unauthorized'` for a 401.
   * @throws BrokerError `session-changed` when the answer names another subject.
   */
  userinfo?(accessToken: string, context: EndpointContext, expectedSubject: string | undefined): Promise<Record<string, unknown> | 'unauthorized'>;
  /** Revokes the refresh token at logout. Optional: without it logout only forgets the session. */
  revoke?(refreshToken: string, context: EndpointContext): Promise<void>;
  /** Login by redirect (authorization code + PKCE), for endpoints that offer it. */
  redirectLogin?: RedirectLogin;
}

/** What the worker keeps between sending the browser to the provider and its return. */
export interface PendingAuthorization {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** The `max_age` sent, in seconds: the id_token's `auth_time` is then required and checked. */
  maxAge?: number;
}

/** A login by redirect: the worker starts it, and finishes it when the browser comes back. */
export interface RedirectLogin {
  /** The registered redirect URI; the worker answers navigations to it. */
  readonly callbackUrl: string;
  /**
   * @param authorizationParams what the page asked for (rule 14: the adapter sends only what its
   *   config lets pages set, and rejects the rest with `forbidden-parameter`).
   */
  start(context: EndpointContext, authorizationParams?: AuthorizationParams): Promise<{ authorizationUrl: string; pending: PendingAuthorization }>;
  /** Rejects with LoginFailedError on an error response, a state mismatch or a refused code. */
  finish(callback: URL, pending: PendingAuthorization, context: EndpointContext): Promise<TokenSet>;
  /**
   * OpenID Connect RP-Initiated Logout: where to send the browser to end the provider's
   * session (its `end_session_endpoint` with `id_token_hint`, `client_id`, the configured
   * `post_logout_redirect_uri` and `state`); undefined when the provider has none.
   */
  endSession?(context: EndpointContext, hints: { idToken?: string; state: string }): Promise<string | undefined>;
}

/** Sends `request` with `Authorization: DPoP <accessToken>` and a proof made with `key`. */
export type DpopFetch = (request: Request, accessToken: string, key: DpopKey, fetchFn: typeof fetch) => Promise<Response>;
