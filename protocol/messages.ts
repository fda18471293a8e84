/**
 * The wire format between pages and the worker: one union of requests keyed by a
 * literal `type`, the replies, and the events the worker broadcasts to every tab.
 *
 * A page sends a request to the registration's active worker with a fresh
 * `MessagePort` for the reply (as workbox-window's `messageSW` does). Every reply is
 * `{ ok: true, ... }` or `{ ok: false, error: { code, message } }`.
 */
import type { ErrorDetails, WireError } from './errors.js';
import { MAX_CALLBACK_SEARCH_LENGTH } from './redirect-keys.js';
import type { BrokerMode, SessionStatus } from './session-status.js';

export type { BrokerMode, SessionStatus } from './session-status.js';

/** Tag on every broker message, so a worker shared with other code can tell ours apart. */
export const PROTOCOL = 'sw-token-broker';
/** Bumped on any incompatible change; a page speaking another version gets `protocol-mismatch`. */
export const PROTOCOL_VERSION = 1;
/** Messages larger than this, serialised as JSON, are refused with `message-too-large`. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/**
 * Sealed mode: on a 401 or 403 to a signed request, the worker adds this response header
 * with the generation of the token it used, so the page can name the failed token without
 * ever holding it.
 */
export const GENERATION_HEADER = 'x-sw-token-broker-generation';

/**
 * Sealed mode: on a response to a request the worker already refreshed for and retried
 * (a 401 it could replay), the worker adds this header, so the page does not retry again.
 */
export const RETRIED_HEADER = 'x-sw-token-broker-retried';

/**
 * Offline queue: on the `202 Accepted` the worker answers for a write it kept to replay
 * later, this header carries the queue entry's id (the same id as the `queued` event's).
 */
export const QUEUED_HEADER = 'x-sw-token-broker-queued';

/**
 * Sealed mode: on a 401 or 403 to a signed request, the identity of the session whose token
 * the worker used (as `SessionStatus.session`), so the page's report of the 401 names the
 * session it was made in and never gets another session's token.
 */
export const SESSION_HEADER = 'x-sw-token-broker-session';

/**
 * Sealed mode: on a `401` the worker answered itself instead of sending a request bare (the
 * session it would have been signed with ended), the error code; the body is
 * `{ error: { code, message } }`.
 */
export const ERROR_HEADER = 'x-sw-token-broker-error';


interface Envelope {
  protocol: typeof PROTOCOL;
  /** Protocol version of the sender. */
  v: number;
  /** Request id, echoed in the reply. */
  id: string;
}

/**
 * Every request type, and whether a page may send it again when no reply came (the worker
 * answers a repeat by joining the work in flight or reading the store; a worker stopped
 * mid-request never answers on the old port, so a repeat wakes a fresh one).
 *
 * The one list of message types: the request union, the reply table, the worker's
 * validators and its handlers are all keyed by it, so the compiler names every place a new
 * type still lacks.
 */
export const REQUEST_TYPES = {
  /** Checks the worker is alive and learns its version, name, mode and allowlist. */
  ping: { resendable: true },
  /** Logs in with credentials the worker's token endpoint adapter understands (for example `{ username, password }`). */
  login: { resendable: false },
  /** Asks for a valid access token (handoff mode); the worker refreshes first when it is within the skew of expiry. */
  getToken: { resendable: true },
  /** Reports a 401 for the credential that failed, so a stale 401 gets the newer token instead of a new refresh. */
  refresh: { resendable: true },
  /** Clears the session, tells every tab, revokes the refresh token where supported. Safe to repeat. */
  logout: { resendable: true },
  /** Reads the session state. Never refreshes. */
  status: { resendable: true },
  /** The provider's userinfo for the session, fetched by the worker with its access token (`sub` checked). */
  userinfo: { resendable: true },
  /** A tab is open near the idle deadline: the worker refreshes once (for every tab) if the keep-alive is on. */
  keepAlive: { resendable: true },
  /** Asks the worker to take control of uncontrolled pages (sealed mode after Shift+Reload). */
  claim: { resendable: false },
  /**
   * Starts a login by redirect (authorization code + PKCE): the worker keeps state, nonce
   * and verifier, and answers with the URL the page navigates to.
   */
  authorize: { resendable: false },
  /**
   * Finishes a login by redirect whose callback navigation no worker answered: in a browser
   * that keys a frame's workers by the top-level origin (WebKit), the vault's callback is a
   * top-level page outside the vault frame's partition, so the vault page passes the
   * callback's query back through the app to the frame. The state binds it to a pending login.
   */
  finishLogin: { resendable: false },
  /**
   * Replays the offline queue now (a page forwards its `online` event: Firefox and WebKit
   * have no Background Sync). Joins a replay in flight; without a queue it answers `pending: 0`.
   */
  replayQueue: { resendable: true },
  /**
   * Handoff mode with DPoP: a proof for one request the page is about to send with the
   * session's token (the key never leaves the worker). Only for URLs of the API allowlist.
   */
  dpopProof: { resendable: true },
} as const satisfies Record<string, { resendable: boolean }>;

export type RequestType = keyof typeof REQUEST_TYPES;

/** True when `value` names a request type. */
export function isRequestType(value: unknown): value is RequestType {
  return typeof value === 'string' && Object.hasOwn(REQUEST_TYPES, value);
}

/**
 * Names the credential that got a 401: the access token itself (handoff) or its
 * generation (sealed, where the page never holds the token).
 */
export interface FailedCredential {
  failedToken?: string;
  failedGeneration?: number;
  /**
   * The identity of the session the request was made in (`SessionStatus.session`): when
   * the worker's session is another one now, the report is answered `session-changed`,
   * never with the other session's token.
   */
  session?: string;
  /** The URL of the request that got the 401: which API's token failed (`config.apis`); absent: the login's. */
  url?: string;
}

/** The fields each request carries beside the envelope. */
export interface RequestFieldsByType {
  ping: {};
  login: { credentials: Record<string, string> };
  /** `session`: the session this page knows of (a worker that finds none tells a vanished record from a logout); `url`: the request it is for (one token per API). */
  getToken: { session?: string; url?: string };
  refresh: FailedCredential;
  /** `endSession`: end the provider's session too (RP-initiated logout); `check`: this tab's one-time value, sent as its `state`. */
  logout: { endSession?: true; check?: string };
  status: {};
  userinfo: {};
  keepAlive: {};
  claim: {};
  /**
   * `returnTo` is the same-origin path the browser comes back to. `check` is a one-time
   * value the page keeps (sessionStorage) and the worker puts in the result fragment, so a
   * link that merely carries a result fragment is not taken for a login.
   * `authorizationParams`: what the page asks the provider for (`prompt`, `login_hint`, …);
   * the worker sends only what its config lets pages set (rule 14).
   */
  authorize: { returnTo: string; check: string; authorizationParams?: Record<string, string | number>; popup?: boolean };
  /** The callback URL's query (`?code=…&state=…`, or an error response's). */
  finishLogin: { callbackSearch: string };
  /** The request the proof is for, the token it will carry, and the resource server's nonce if it sent one. */
  dpopProof: { method: string; url: string; accessToken: string; nonce?: string };
  replayQueue: {};
}

/** One request of type `T`, as it travels. */
export type RequestOf<T extends RequestType> = Envelope & { type: T } & RequestFieldsByType[T];
export type BrokerRequest = { [T in RequestType]: RequestOf<T> }[RequestType];

export interface PingResult {
  version: number;
  name: string;
  mode: BrokerMode;
  /** The URLs the worker allows tokens for; in handoff mode the page applies the same rule. */
  apiAllowlist: string[];
  /** The allowlist entries with an access token of their own (`config.apis`): the page caches one token per API. */
  apis?: string[];
  /** `session-expiring`'s lead (ms) and when pages send `keepAlive` (`config.session`). */
  lifetimes?: { warnBeforeMs: number; keepAlive: 'open' | 'visible' | 'off' };
  /** `password`: `login(credentials)`; `redirect`: `loginWithRedirect()`. */
  loginKind: 'password' | 'redirect';
  /** The session state, so a page knows it from its first message (older workers may leave it out). */
  status?: SessionStatus;
  /**
   * With an offline queue: how many requests wait in it; absent without one (pages then forward no
   * `online` event). 0 when the queue's storage cannot be read (the page's `replayQueue()` then
   * rejects with the typed `storage-failed`).
   */
  queuePending?: number;
  /**
   * With an offline queue that keys its writes: the header's name (`Idempotency-Key`). Pages
   * set it on their writes to the API, so a request the browser dispatches to the worker
   * again (the worker was stopped while it was out) keeps its key.
   */
  idempotencyKey?: string;
}

interface TokenTiming {
  accessExpiresAt: number;
  /** When the worker will refresh it (epoch ms); a page may cache the token until then. */
  refreshAt: number;
  /** The token's generation: names it without revealing it. */
  generation: number;
  /** The token's session (`SessionStatus.session`); absent from older workers. */
  session?: string;
}
/** Handoff mode: the page gets the access token. */
export interface HandoffTokenResult extends TokenTiming {
  mode: 'handoff';
  accessToken: string;
}
/** Sealed mode: the page learns only when the token expires and its generation, never the token. */
export interface SealedTokenResult extends TokenTiming {
  mode: 'sealed';
}
/** A valid access token's description, typed by mode so a handoff result always carries the token. */
export type TokenResult = HandoffTokenResult | SealedTokenResult;

/**
 * The answer to a 401 report: the token to retry with, and whether the worker refreshed
 * for it (false when it already held a newer token than the one that failed).
 */
export type RefreshResult = TokenResult & { refreshed: boolean };

/** Reply payload per request type. */
export interface ResultByType {
  ping: PingResult;
  login: { status: SessionStatus };
  /** Only handoff mode hands out tokens; sealed mode answers `not-supported`. */
  getToken: HandoffTokenResult;
  refresh: RefreshResult;
  /** `endSessionUrl`: where the tab goes to end the provider's session (asked with `endSession`). */
  logout: { status: SessionStatus; endSessionUrl?: string };
  status: { status: SessionStatus };
  userinfo: { userinfo: Record<string, unknown> };
  keepAlive: { status: SessionStatus };
  claim: { claimed: boolean };
  authorize: { authorizationUrl: string };
  /** `proof`: the `DPoP` header's value; absent when the session's tokens are not bound (send them as Bearer). */
  dpopProof: { proof?: string };
  /** Where the login started (`returnTo`), its one-time value, and the error if it failed. */
  finishLogin: { returnTo: string; check: string | null; error: WireError | null };
  /** How many requests still wait in the offline queue after this replay (0 without a queue). */
  replayQueue: { pending: number };
}

/** `finishLogin.callbackSearch`'s rule, for the worker and the vault frame that passes it on: a query string, `?…`. */
export function isCallbackSearch(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('?') && value.length <= MAX_CALLBACK_SEARCH_LENGTH;
}

export type OkReply<T extends RequestType = RequestType> = { ok: true; id?: string } & ResultByType[T];
export interface ErrorReply {
  ok: false;
  id?: string;
  error: WireError;
}
export type BrokerReply<T extends RequestType = RequestType> = OkReply<T> | ErrorReply;

/**
 * What the worker tells every tab: a new session (`login`), new tokens (`refreshed`), the
 * end of a session by this broker (`logged-out`) or by the server (`session-ended`), a
 * session that could not be written to storage and is kept in memory (`storage-failed`,
 * with the reason), tokens for another user than the session had, without a login
 * (`subject-changed`: someone replaced the session record; see docs/security.md), and how
 * the background revocation of a logged-out or replaced session went (`revoked`, or
 * `revocation-failed` with the reason and what the server said in `details`), and what the
 * offline queue did with a write made offline (`queued`, `replayed`, `dropped`, with `request`;
 * `requeued` when a replay got no answer: the server may have it, so it is sent again with
 * the same `Idempotency-Key`).
 */
export type BrokerEventType =
  | 'login'
  | 'refreshed'
  | 'logged-out'
  | 'session-ended'
  /** Heard by each tab on its own, once, before an end nothing will move (`status.sessionExpiresAt`). */
  | 'session-expiring'
  | 'storage-failed'
  | 'subject-changed'
  | 'revoked'
  | 'revocation-failed'
  | 'queued'
  | 'requeued'
  | 'replayed'
  | 'dropped';

/**
 * Why the offline queue dropped a request (`dropped` events): the server answered the
 * replay with an error status (`rejected`), it waited longer than `maxRetentionTime`
 * (`expired`), the queue was full when it failed (`full`), or the session it was made in
 * ended: a logout (`logout`) or a login of another user (`other-user`); the browser
 * deleted the queue's storage (`storage-cleared`: `count` says how many were lost); or the
 * request carried a token the worker holds, which is never stored (`contains-token`).
 */
export type DropReason = 'rejected' | 'expired' | 'full' | 'logout' | 'other-user' | 'storage-cleared' | 'storage-failed' | 'contains-token';

/** A request of the offline queue, as events name it: never its headers or body. */
export interface QueuedRequest {
  /** The queue entry's id, also on the `202` the page got ({@link QUEUED_HEADER}). */
  id: string;
  method: string;
  url: string;
  /** When it was queued (epoch ms). */
  queuedAt: number;
  /** For `replayed`, and `dropped` with `rejected`: the status the server answered the replay with. */
  status?: number;
  /** For `dropped`. */
  dropReason?: DropReason;
  /** The `Idempotency-Key` it is sent with, every time (absent when the queue adds none). */
  idempotencyKey?: string;
  /** For `requeued` and `replayed`: how many times it was sent. */
  attempts?: number;
  /** For `dropped` with `full` or `storage-cleared`: how many requests this one event stands for (a burst is told once). */
  count?: number;
}

export interface BrokerEvent {
  protocol: typeof PROTOCOL;
  v: number;
  /** The broker's name (its storage namespace), so two brokers on one origin keep apart. */
  broker: string;
  event: BrokerEventType;
  status: SessionStatus;
  /** Why the session ended, for `session-ended`; why storage failed, for `storage-failed`; what changed, for `subject-changed`. */
  reason?: string;
  /** For `session-ended` and `revocation-failed`: the server's status, `error`, `error_description` and the URL, when known. */
  details?: ErrorDetails;
  /** For `queued`, `replayed` and `dropped`: which request. */
  request?: QueuedRequest;
}

/** True when `data` looks like an event from a broker (any version). */
export function isBrokerEvent(data: unknown): data is BrokerEvent {
  if (typeof data !== 'object' || data === null) return false;
  const record = data as Record<string, unknown>;
  return record.protocol === PROTOCOL && typeof record.event === 'string' && typeof record.broker === 'string';
}

/** `loginWithRedirect`'s options (the page client, the vault client, the bindings). */
export interface RedirectLoginOptions {
  /** Where the browser comes back to: a path on this origin (default: this page). */
  returnTo?: string;
  /**
   * Asked of the provider for this login (`prompt`, `login_hint`, `ui_locales`, `acr_values`,
   * `max_age` by default; more where the worker's config allows). Rule 14: the worker sends only
   * what its config lets pages set; anything else rejects with `forbidden-parameter`. An
   * `undefined` value is left out (handy with a step-up challenge that names only one).
   */
  authorizationParams?: Readonly<Record<string, string | number | undefined>>;
}
