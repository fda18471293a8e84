/**
 * Rule 1, "one refresh at a time for the whole origin", in one place: concurrent callers
 * share the refresh in flight; a Web Lock serialises refreshes across worker versions and the
 * store is re-read under it; a refresh token the server rotated is never sent again; a
 * request, once sent, is never abandoned (callers' waits are bounded, not the request); a
 * failing endpoint is not hammered (the cool-down). The locked part returns what happened as
 * a {@link RefreshOutcome}; the broker turns it into events and state, once per refresh.
 */
import { ErrorCode, NotLoggedInError, RefreshUnavailableError, SessionChangedError, StorageFailedError, isBrokerError, type BrokerError } from '../../protocol/index.js';
import { rotatedRefreshTokenOf } from '../adapters/http.js';
import type { TokenSet } from '../adapters/types.js';
import { CoolDown } from '../cool-down.js';
import type { DpopKey } from '../dpop.js';
import type { LockRunner } from '../lock.js';
import type { SessionKeeper } from '../session-keeper.js';
import type { StoredSession } from '../store.js';
import { subjectOf } from './record.js';

/**
 * A refresh request is never abandoned (the server rotates whether or not we listen), but
 * one that never answers must end some time: this many times the callers' bound, at least a minute.
 */
const HARD_LIMIT_FACTOR = 6;
const MIN_HARD_LIMIT_MS = 60_000;
/** Spent refresh tokens remembered (the last few rotations are all that can come back). */
const MAX_SPENT_TOKENS = 32;

/** What one refresh under the lock came to. */
export type RefreshOutcome =
  /** New tokens, stored (or, when `unstored` says why not, kept in memory). */
  | { kind: 'refreshed'; session: StoredSession; previousSubject: string | undefined; unstored?: BrokerError }
  /** Nothing to do: the stored token is not the one that needed it (another refresh, another worker did it). */
  | { kind: 'not-needed' }
  /** A login or logout while the request was out: its answer was revoked, not stored. */
  | { kind: 'superseded' }
  /** The server refused the refresh; the store held this session and it was deleted. */
  | { kind: 'ended'; error: BrokerError }
  /** Anything else: the error for the callers (and, when a rotated token could not be stored, why). */
  | { kind: 'failed'; error: unknown; unstored?: BrokerError };

/** What the flight needs of the broker. */
export interface FlightHost {
  /** Bumped by every login and logout: an answer that finds it changed belongs to a session that is gone. */
  epoch(): number;
  /** The stored session (a vanished one is reported by the broker). */
  read(): Promise<StoredSession | undefined>;
  sessions: Pick<SessionKeeper, 'write' | 'clearIf'>;
  /** Sends the refresh grant for `session` and one of its tokens (the login's, or an API's), bounded by `timeoutMs`. */
  request(session: StoredSession, timeoutMs: number, api: string): Promise<TokenSet>;
  /** The error for a refresh answered with tokens the config refuses (unbound under DPoP, another API's audience), if so. */
  refusal(tokens: TokenSet, api: string): BrokerError | undefined;
  revoke(refreshToken: string, dpop: DpopKey | undefined, why: string): void;
  /** The record for a refresh answer of `session`'s token for `api`. */
  next(tokens: TokenSet, session: StoredSession, api: string): StoredSession;
  /**
   * Called before a refused session is deleted, so a report that finds the store empty finds
   * why; returns how to undo it when the store held another session (nothing was deleted).
   */
  ending(error: BrokerError, session: StoredSession): () => void;
  /** Turns an outcome into the callers' result: events, state; called once per refresh. */
  settle(outcome: RefreshOutcome): Promise<StoredSession>;
}

export interface FlightOptions {
  locks: LockRunner;
  lockName: string;
  lockTimeoutMs: number;
  /** How long callers wait once the request is out. */
  requestTimeoutMs: number;
  now: () => number;
}

/** A refresh in flight: its result, when its request went out, whose session and which token it refreshes. */
interface Flight {
  result: Promise<StoredSession>;
  sent: Promise<void>;
  session: string;
  api: string;
}

export class RefreshFlight {
  readonly #host: FlightHost;
  readonly #options: FlightOptions;
  /**
   * The refresh in flight per token (the login's, each API's). Each rotates the one refresh
   * token, so they never overlap at the server: the lock serialises them, and each re-reads
   * the store (the refresh token the one before rotated to) under it.
   */
  readonly #flights = new Map<string, Flight>();
  /** After a retryable failure, refreshes within the cool-down get its error at once (rule 8). */
  readonly coolDown = new CoolDown();
  /**
   * Refresh tokens this worker sent and the server answered with a rotation: never sent
   * again, whatever the store returns (a refresh token presented twice revokes the session).
   */
  readonly #spent = new Set<string>();

  constructor(host: FlightHost, options: FlightOptions) {
    this.#host = host;
    this.#options = options;
  }

  /** The refresh tokens the server rotated away. */
  spentTokens(): string[] {
    return [...this.#spent];
  }

  /** The refresh in flight, for the worker to stay alive for (`waitUntil`). */
  inFlight(): Promise<unknown> | undefined {
    const flights = [...this.#flights.values()];
    return flights.length === 0 ? undefined : Promise.allSettled(flights.map((flight) => flight.result));
  }

  /**
   * Joins the refresh in flight for `session`, or starts one. A caller waits at most
   * `requestTimeoutMs` once the request is out, then gets a retryable error; the request
   * itself runs on and its answer is stored when it comes. A refresh of another session (one
   * a login replaced) is waited for, never joined.
   *
   * @param stillNeeded re-checked under the lock, on the store's session.
   * @param session the identity of the caller's session.
   * @param api which token: the login's (`LOGIN_TOKEN`) or an API's (`config.apis`).
   */
  async run(stillNeeded: (session: StoredSession) => boolean, session: string, api: string): Promise<StoredSession> {
    const other = this.#flights.get(api);
    if (other && other.session !== session) {
      // Only its end matters here: its outcome (and error) is its own callers', who get it.
      await this.#waitFor(other).catch(() => undefined);
      if (this.#flights.get(api) === other) {
        throw new RefreshUnavailableError('A refresh of the session that this one replaced is still waiting for the token endpoint; try again shortly');
      }
    }
    let flight = this.#flights.get(api);
    if (!flight) {
      const blocked = this.coolDown.blocked(this.#options.now());
      if (blocked) throw blocked;
      const started = this.#start(stillNeeded, session, api);
      this.#flights.set(api, started);
      const done = () => this.#flights.get(api) === started && this.#flights.delete(api);
      void started.result.then(done, done);
      flight = started;
    }
    return this.#waitFor(flight);
  }

  /** Waits for a flight's result, at most `requestTimeoutMs` from when its request went out. */
  async #waitFor(flight: Flight): Promise<StoredSession> {
    const timeoutMs = this.#options.requestTimeoutMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = flight.sent.then(
      () =>
        new Promise<never>((_resolve, reject) => {
          const message = `The token endpoint did not answer within ${timeoutMs} ms; the refresh goes on, and its answer will be kept for the next request`;
          timer = setTimeout(() => reject(new RefreshUnavailableError(message)), timeoutMs);
        }),
    );
    try {
      return await Promise.race([flight.result, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  #start(stillNeeded: (session: StoredSession) => boolean, session: string, api: string): Flight {
    let markSent!: () => void;
    const sent = new Promise<void>((resolve) => (markSent = resolve));
    const { locks, lockName, lockTimeoutMs } = this.#options;
    // A lock that could not be had (timed out) is a failed refresh too.
    const result = locks(lockName, lockTimeoutMs, () => this.#refreshLocked(stillNeeded, markSent, api)).then(
      (outcome) => this.#host.settle(outcome),
      (error: unknown) => this.#host.settle({ kind: 'failed', error }),
    );
    // Nobody may be waiting any more when it fails: the broker already said what it had to.
    result.catch(() => undefined);
    return { result, sent, session, api };
  }

  /** One refresh, under the lock. Returns what happened; never throws. */
  async #refreshLocked(stillNeeded: (session: StoredSession) => boolean, markSent: () => void, api: string): Promise<RefreshOutcome> {
    const host = this.#host;
    // Re-read under the lock: another worker version may have refreshed meanwhile.
    const epoch = host.epoch();
    const session = await host.read();
    if (!session) return { kind: 'failed', error: new NotLoggedInError() };
    if (!stillNeeded(session)) return { kind: 'not-needed' };
    // The one rule that keeps reuse detection quiet: a refresh token the server already rotated is never sent again.
    if (this.#spent.has(session.refreshToken)) {
      const message = 'The stored refresh token was already used, and its rotation was not stored: it is not sent again (the server would see reuse and revoke the session)';
      return { kind: 'failed', error: new StorageFailedError(message) };
    }
    const hardLimitMs = Math.max(MIN_HARD_LIMIT_MS, this.#options.requestTimeoutMs * HARD_LIMIT_FACTOR);
    let tokens: TokenSet;
    try {
      const request = host.request(session, hardLimitMs, api);
      markSent();
      tokens = await request;
      if (tokens.refreshToken !== undefined && tokens.refreshToken !== session.refreshToken) this.#markSpent(session.refreshToken);
      const refusal = host.refusal(tokens, api);
      if (refusal) {
        // Unbound tokens end the session (revoked here); another API's token keeps it (its rotation is kept, below).
        if (tokens.refreshToken && refusal.code === ErrorCode.SessionEnded) host.revoke(tokens.refreshToken, session.dpop, 'a refresh the server answered with unbound tokens');
        throw refusal;
      }
    } catch (error) {
      // (Awaited here: returning the promise would cost the event order microtasks.)
      return await this.#failed(error, session, epoch);
    }
    this.coolDown.succeeded();
    const next = host.next(tokens, session, api);
    if (host.epoch() !== epoch) {
      // Logged out or logged in again while the request was out: the answer belongs to a
      // session that is gone. Revoke what it issued instead of writing it back.
      if (tokens.refreshToken) host.revoke(tokens.refreshToken, session.dpop, 'a refresh answered after its session ended');
      return { kind: 'superseded' };
    }
    // The rotated refresh token is durable before any page sees the new access token, or,
    // when the write fails, kept in memory (the keeper retries it) and every tab is told.
    // (No await between the epoch check and this write: a logout after it is ordered after it.)
    try {
      await host.sessions.write(next);
      return { kind: 'refreshed', session: next, previousSubject: subjectOf(session) };
    } catch (error) {
      const unstored = isBrokerError(error) ? error : new StorageFailedError(undefined, { cause: error });
      return { kind: 'refreshed', session: next, previousSubject: subjectOf(session), unstored };
    }
  }

  /** A refresh that did not bring tokens: ended (rule 4, rule 12), or failed and cooling down (rule 8). */
  async #failed(error: unknown, session: StoredSession, epoch: number): Promise<RefreshOutcome> {
    const host = this.#host;
    if (isBrokerError(error) && error.code === ErrorCode.SessionEnded) {
      this.coolDown.succeeded();
      const undo = host.ending(error, session);
      // Compare-and-delete: only the session this refresh was for. A login that replaced it
      // meanwhile (and may be why the server refused: it revoked the old token) stays.
      if (await host.sessions.clearIf(session.refreshToken)) return { kind: 'ended', error };
      undo();
      const message = 'The session this refresh was for was replaced by another login while the refresh was out: the new session is kept, and this request is not sent with its token';
      return { kind: 'failed', error: new SessionChangedError(message, { cause: error }) };
    }
    const failure = isBrokerError(error) ? error : new RefreshUnavailableError('The refresh failed unexpectedly', { cause: error });
    // An answer refused for its access token may still carry a rotated refresh token: keep it, the old one is spent.
    let unstored: BrokerError | undefined;
    const rotated = rotatedRefreshTokenOf(error);
    if (rotated && rotated !== session.refreshToken && host.epoch() === epoch) {
      this.#markSpent(session.refreshToken);
      await host.sessions.write({ ...session, refreshToken: rotated }).catch((storeError: unknown) => void (unstored = storeError as BrokerError));
    }
    // A misconfigured URL (a redirect) is not hammered either: it will answer the same way.
    const coolsDown = failure.retryable || failure.code === ErrorCode.Misconfigured;
    return { kind: 'failed', error: coolsDown ? this.coolDown.failed(failure, this.#options.now()) : failure, unstored };
  }

  #markSpent(refreshToken: string): void {
    this.#spent.add(refreshToken);
    if (this.#spent.size > MAX_SPENT_TOKENS) this.#spent.delete(this.#spent.values().next().value!);
  }
}
