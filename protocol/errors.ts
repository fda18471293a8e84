/**
 * Error codes and classes shared by the page side and the worker side.
 *
 * Errors cross `postMessage` as `{ code, message }` and are rebuilt with
 * {@link errorFromWire}, so guards compare `code`, never `instanceof`.
 */

/** Every code a broker error can carry. */
export const ErrorCode = {
  /** The message is not an object of the expected shape. */
  MalformedMessage: 'malformed-message',
  /** The message `type` is not one the worker knows. */
  UnknownType: 'unknown-type',
  /** The message is larger than {@link MAX_MESSAGE_BYTES} serialised. */
  MessageTooLarge: 'message-too-large',
  /** Page and worker speak different protocol versions. */
  ProtocolMismatch: 'protocol-mismatch',
  /** There is no session: log in first. */
  NotLoggedIn: 'not-logged-in',
  /** The server rejected the credentials at login. */
  LoginFailed: 'login-failed',
  /** The server rejected the refresh grant: the session is over, log in again. */
  SessionEnded: 'session-ended',
  /** The token endpoint could not be reached, timed out, failed or answered garbage; the session is kept, retry later. */
  RefreshUnavailable: 'refresh-unavailable',
  /** The worker did not answer in time. */
  Timeout: 'broker-timeout',
  /** Service workers cannot be used in this page. */
  ServiceWorkerUnavailable: 'sw-unavailable',
  /** This mode does not offer the operation (for example `getToken` in sealed mode). */
  NotSupported: 'not-supported',
  /**
   * The worker's configuration cannot work: an invalid `installTokenBroker` config, or an
   * endpoint that answers 404/405 at login. `message` says what to fix. Not retryable.
   */
  Misconfigured: 'misconfigured',
  /**
   * The worker could not write the session to its storage (a full origin quota, a broken
   * database). After a refresh the rotated session is kept in the worker's memory and the
   * write retried, so nothing is lost while the worker runs; after a login the new session
   * is revoked at the server. `message` says why. Retryable.
   */
  StorageFailed: 'storage-failed',
  /**
   * The request was made in a session that has since been replaced by another login (in
   * any tab): it is not sent with the new session's token, and a queued write of it is
   * dropped (`other-user`). Not retryable: the new session's user decides whether to repeat it.
   */
  SessionChanged: 'session-changed',
  /**
   * The broker's service worker was unregistered (site data cleared, or code called
   * `unregister()`): no broker message can be answered. Reload the page (or register again).
   */
  ServiceWorkerGone: 'sw-unregistered',
  /**
   * Another service worker took the broker's scope (Angular's `ngsw-worker.js`, a PWA plugin's,
   * an old script): it does not answer the broker, so no token can be had. `details.url` names
   * its script. Build one worker that runs both (docs/frameworks.md), or give them separate
   * scopes. Not retryable in this page.
   */
  ForeignWorker: 'sw-foreign',
  /**
   * A page asked for an authorization parameter the worker's config does not let pages set
   * (`client_id`, `redirect_uri`, `state`, `nonce`, PKCE values never; a scope or audience
   * outside the configured ones; any name not listed), or gave a value that is not a short
   * string without control characters. Nothing was sent to the provider. Not retryable.
   */
  ForbiddenParameter: 'forbidden-parameter',
  /**
   * RFC 9470: the API refused the token because the user's authentication is not strong or
   * recent enough (`WWW-Authenticate: Bearer error="insufficient_user_authentication"`). Not a
   * reason to refresh: log in again with `details.acrValues` / `details.maxAge` as
   * `authorizationParams`. The current session stays until the new login replaces it.
   */
  StepUpRequired: 'step-up-required',
  /** `loginWithPopup`: the browser refused to open the popup (call it from a click handler). No session changed. */
  PopupBlocked: 'popup-blocked',
  /** `loginWithPopup`: the user closed the popup before the login finished. No session changed. */
  PopupClosed: 'popup-closed',
  /** `loginWithPopup`: the login did not finish within `timeoutMs`; the popup was closed. No session changed. */
  PopupTimeout: 'popup-timeout',
  /** Vault mode: the vault frame did not load or answer (blocked, wrong URL, or it refused this origin). Never a fallback to the app origin. */
  VaultUnavailable: 'vault-unavailable',
  /** A bug or an unexpected failure inside the worker. */
  Internal: 'internal',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const knownCodes = new Set<string>(Object.values(ErrorCode));

/** Errors that are worth retrying later with the same session. */
export const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set([ErrorCode.RefreshUnavailable, ErrorCode.Timeout, ErrorCode.StorageFailed]);

/**
 * What the server said, and what the page can do about it. Every field is optional: an
 * error carries the ones that apply. Never a token.
 */
export interface ErrorDetails {
  /** The token endpoint's HTTP status. */
  status?: number;
  /** The server's `error` (RFC 6749 §5.2), for example `invalid_grant`. */
  error?: string;
  /** The server's `error_description`, as it said it. */
  errorDescription?: string;
  /** The endpoint URL, where it helps to fix a config (404, unreachable). */
  url?: string;
  /** Epoch ms before which the worker will not try to refresh again (after a failure: the cool-down). */
  retryAt?: number;
  /**
   * On `session-ended` for a request whose token belonged to a session a logout (in any tab)
   * ended while it was in flight: `'logout'`; for a session whose record vanished from the
   * worker's storage (the browser cleared site data): `'storage-cleared'`; for a session past
   * its idle deadline: `'idle'`, past its lifetime: `'expired'`. Absent when the server ended
   * the session (it refused the refresh: revoked, or expired at its end).
   */
  endedBy?: 'logout' | 'storage-cleared' | 'idle' | 'expired';
  /** On `step-up-required` (RFC 9470): the authentication context classes the API asks for. */
  acrValues?: string;
  /** On `step-up-required`: how old the authentication may be, in seconds. */
  maxAge?: number;
}

/** The shape of an error on the wire. */
export interface WireError {
  code: ErrorCode;
  message: string;
  details?: ErrorDetails;
}

const MAX_DETAIL_LENGTH = 500;

/** A copy of `details` with only the known fields, of the right types, strings capped. */
export function cleanDetails(value: unknown): ErrorDetails | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const details: ErrorDetails = {};
  const text = (field: unknown) => (typeof field === 'string' ? field.slice(0, MAX_DETAIL_LENGTH) : undefined);
  const number = (field: unknown) => (typeof field === 'number' && Number.isFinite(field) ? field : undefined);
  if (number(record.status) !== undefined) details.status = number(record.status);
  if (text(record.error) !== undefined) details.error = text(record.error);
  if (text(record.errorDescription) !== undefined) details.errorDescription = text(record.errorDescription);
  if (text(record.url) !== undefined) details.url = text(record.url);
  if (number(record.retryAt) !== undefined) details.retryAt = number(record.retryAt);
  if (['logout', 'storage-cleared', 'idle', 'expired'].includes(record.endedBy as string)) details.endedBy = record.endedBy as ErrorDetails['endedBy'];
  if (text(record.acrValues) !== undefined) details.acrValues = text(record.acrValues);
  if (number(record.maxAge) !== undefined) details.maxAge = number(record.maxAge);
  return Object.keys(details).length > 0 ? details : undefined;
}

/** Options every broker error takes: the cause (kept in this realm only) and the details (sent to the page). */
export interface BrokerErrorOptions {
  cause?: unknown;
  details?: ErrorDetails;
}

/** Base class of every error the broker rejects with. */
export class BrokerError extends Error {
  override name = 'BrokerError';
  readonly code: ErrorCode;
  /** True when the same request may succeed later without a new login. */
  readonly retryable: boolean;
  /** What the server said (status, `error`, `error_description`), the URL, the retry time: whichever apply. */
  readonly details: ErrorDetails | undefined;

  constructor(code: ErrorCode, message: string, options?: BrokerErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = RETRYABLE_CODES.has(code);
    this.details = cleanDetails(options?.details);
  }

  /** The error as it travels in a reply. Never includes `cause`, which may hold server bodies. */
  toWire(): WireError {
    return toWireError(this);
  }
}

/** The server rejected the refresh grant, or another tab saw it do so. Log in again. */
export class SessionEndedError extends BrokerError {
  override name = 'SessionEndedError';
  constructor(message = 'The session has ended; log in again', options?: BrokerErrorOptions) {
    super(ErrorCode.SessionEnded, message, options);
  }
}

/** The request's session was replaced by another login; it was not sent with the new session's token. */
export class SessionChangedError extends BrokerError {
  override name = 'SessionChangedError';
  constructor(message = "The session this request was made in was replaced by another login: it was not sent with the new session's token", options?: BrokerErrorOptions) {
    super(ErrorCode.SessionChanged, message, options);
  }
}

/** RFC 9470: the API asks for a stronger or more recent authentication; `details` has its `acrValues` and `maxAge`. */
export class StepUpRequiredError extends BrokerError {
  override name = 'StepUpRequiredError';
  constructor(message = 'The API asks for a stronger or more recent authentication (RFC 9470): log in again with the acr_values and max_age it names', options?: BrokerErrorOptions) {
    super(ErrorCode.StepUpRequired, message, options);
  }
}

/** The broker's service worker is gone (unregistered, site data cleared): reload the page or register again. */
export class ServiceWorkerGoneError extends BrokerError {
  override name = 'ServiceWorkerGoneError';
  constructor(message = 'The service worker of the token broker was unregistered (site data cleared?): reload the page', options?: BrokerErrorOptions) {
    super(ErrorCode.ServiceWorkerGone, message, options);
  }
}

/** Another service worker took the broker's scope and does not answer it: `details.url` is its script. */
export class ForeignWorkerError extends BrokerError {
  override name = 'ForeignWorkerError';
  constructor(message = "Another service worker took the token broker's scope", options?: BrokerErrorOptions) {
    super(ErrorCode.ForeignWorker, message, options);
  }
}

/** The token endpoint is down, slow or broken. The session is kept; retry later. */
export class RefreshUnavailableError extends BrokerError {
  override name = 'RefreshUnavailableError';
  constructor(message = 'The token endpoint is unavailable; the session is kept, retry later', options?: BrokerErrorOptions) {
    super(ErrorCode.RefreshUnavailable, message, options);
  }
}

/** The worker did not answer within the timeout. */
export class BrokerTimeoutError extends BrokerError {
  override name = 'BrokerTimeoutError';
  constructor(message = 'The service worker did not answer in time', options?: BrokerErrorOptions) {
    super(ErrorCode.Timeout, message, options);
  }
}

/** There is no session in the worker. */
export class NotLoggedInError extends BrokerError {
  override name = 'NotLoggedInError';
  constructor(message = 'Not logged in', options?: BrokerErrorOptions) {
    super(ErrorCode.NotLoggedIn, message, options);
  }
}

/** The server rejected the login credentials. */
export class LoginFailedError extends BrokerError {
  override name = 'LoginFailedError';
  constructor(message = 'The server rejected the credentials', options?: BrokerErrorOptions) {
    super(ErrorCode.LoginFailed, message, options);
  }
}

/** Service workers are not available in this page (insecure context, disabled, private mode). */
export class ServiceWorkerUnavailableError extends BrokerError {
  override name = 'ServiceWorkerUnavailableError';
  constructor(message = 'Service workers are not available in this page', options?: BrokerErrorOptions) {
    super(ErrorCode.ServiceWorkerUnavailable, message, options);
  }
}

/** The worker's configuration cannot work; the message says what to fix. */
export class MisconfiguredError extends BrokerError {
  override name = 'MisconfiguredError';
  constructor(message = "The service worker's token broker is misconfigured", options?: BrokerErrorOptions) {
    super(ErrorCode.Misconfigured, message, options);
  }
}

/** Page and worker speak different protocol versions; reload the page once to update it. */
export class ProtocolMismatchError extends BrokerError {
  override name = 'ProtocolMismatchError';
  constructor(message = 'The page and the service worker speak different protocol versions', options?: BrokerErrorOptions) {
    super(ErrorCode.ProtocolMismatch, message, options);
  }
}

/** The session could not be written to the worker's storage; see {@link ErrorCode.StorageFailed}. */
export class StorageFailedError extends BrokerError {
  override name = 'StorageFailedError';
  constructor(message = "The session could not be written to the service worker's storage", options?: BrokerErrorOptions) {
    super(ErrorCode.StorageFailed, message, options);
  }
}

/** Vault mode: the vault frame did not load or answer; the app gets no tokens of its own instead. */
export class VaultUnavailableError extends BrokerError {
  override name = 'VaultUnavailableError';
  constructor(message = 'The token vault could not be reached', options?: BrokerErrorOptions) {
    super(ErrorCode.VaultUnavailable, message, options);
  }
}

const classByCode: Partial<Record<ErrorCode, new (message?: string, options?: BrokerErrorOptions) => BrokerError>> = {
  [ErrorCode.SessionEnded]: SessionEndedError,
  [ErrorCode.RefreshUnavailable]: RefreshUnavailableError,
  [ErrorCode.Timeout]: BrokerTimeoutError,
  [ErrorCode.NotLoggedIn]: NotLoggedInError,
  [ErrorCode.LoginFailed]: LoginFailedError,
  [ErrorCode.ServiceWorkerUnavailable]: ServiceWorkerUnavailableError,
  [ErrorCode.ProtocolMismatch]: ProtocolMismatchError,
  [ErrorCode.Misconfigured]: MisconfiguredError,
  [ErrorCode.VaultUnavailable]: VaultUnavailableError,
  [ErrorCode.StorageFailed]: StorageFailedError,
  [ErrorCode.SessionChanged]: SessionChangedError,
  [ErrorCode.ServiceWorkerGone]: ServiceWorkerGoneError,
  [ErrorCode.ForeignWorker]: ForeignWorkerError,
  [ErrorCode.StepUpRequired]: StepUpRequiredError,
};

/**
 * The wire form of any failure: a broker error as it is, anything else as `internal`
 * without its details (which may hold server bodies or stack traces). The one place an
 * error becomes wire data; {@link errorFromWire} is the way back.
 */
export function toWireError(error: unknown): WireError {
  if (isBrokerError(error)) {
    const details = cleanDetails(error.details);
    return details ? { code: error.code, message: error.message, details } : { code: error.code, message: error.message };
  }
  return { code: ErrorCode.Internal, message: 'The service worker failed unexpectedly' };
}

/** Rebuilds a typed error from a reply's `error` field; unknown codes become `internal`. */
export function errorFromWire(wire: unknown, cause?: unknown): BrokerError {
  const record = (typeof wire === 'object' && wire !== null ? wire : {}) as Record<string, unknown>;
  const message = typeof record.message === 'string' ? record.message : 'The service worker reported an error';
  const code = typeof record.code === 'string' && knownCodes.has(record.code) ? (record.code as ErrorCode) : ErrorCode.Internal;
  const ErrorClass = classByCode[code];
  const options = { cause, details: cleanDetails(record.details) };
  return ErrorClass ? new ErrorClass(message, options) : new BrokerError(code, message, options);
}

/** True for any broker error, across realms (compares `code`, not the prototype). */
export function isBrokerError(value: unknown): value is BrokerError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    knownCodes.has((value as { code: string }).code) &&
    (value as { name?: unknown }).name !== undefined
  );
}

/**
 * True when `value` says there is no session to send the request with (`session-ended`,
 * `not-logged-in`): repeating the request cannot help until a login. For retry rules
 * (TanStack Query's `retry`).
 */
export function isSignedOutError(value: unknown): value is BrokerError {
  return hasErrorCode(value, ErrorCode.SessionEnded) || hasErrorCode(value, ErrorCode.NotLoggedIn);
}

/** True when `value` is a broker error with the given code. */
export function hasErrorCode<C extends ErrorCode>(value: unknown, code: C): value is BrokerError & { code: C } {
  return isBrokerError(value) && value.code === code;
}
