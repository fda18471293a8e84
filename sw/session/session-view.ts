/**
 * The session as this worker sees it: the stored record (through the keeper), what the
 * worker remembers of it (whose it was, why it ended), and how it is shown to pages (status,
 * token timing). Rule 15 lives here: a record that vanished without the broker removing it is
 * a session end every tab hears about (`storage-cleared`).
 */
import { NotLoggedInError, SessionEndedError, type BrokerError, type BrokerMode, type SessionStatus, type TokenResult } from '../../protocol/index.js';
import { refreshDueAt } from '../expiry.js';
import type { SessionKeeper } from '../session-keeper.js';
import { LOGIN_TOKEN } from '../api-tokens.js';
import type { AccessTokenSlot, StoredSession } from '../store.js';
import { deadlinesOf, type SessionLimits } from '../session-lifetime.js';
import type { Notify } from './notify.js';
import { identityOf, subjectOf, tokenOf } from './record.js';
import type { RefreshOutcome } from './refresh-flight.js';

export interface SessionViewDependencies {
  sessions: SessionKeeper;
  config: { mode: BrokerMode; skewMs: number; maxSkewFraction: number; session: SessionLimits };
  /** Revokes the refresh token of a session that reached its limit (in the background). */
  revoke: (session: StoredSession, why: string) => void;
  now: () => number;
  notify: Notify;
  /** When this worker instance started: `status().workerStartedAt`. */
  startedAt: number;
  /** The end of the refresh cool-down, if one runs: `status().refreshRetryAt`. */
  retryAt: (now: number) => number | undefined;
  /** Called when the session changed under the broker's caches (vanished, refreshed): it drops what it cached. */
  dropCached: () => void;
}

export class SessionView {
  readonly #deps: SessionViewDependencies;
  /** Why the last session ended (refused by the server, its record vanished): every late request for it gets the same, full error. */
  endedBy: BrokerError | undefined;
  /** Set by a logout: what a late 401 report for the logged-out session's token gets (`details.endedBy: 'logout'`). */
  loggedOut: SessionEndedError | undefined;
  /** Who the session is for, as this worker last saw it; a record for someone else without a login is reported. */
  #subject: string | undefined;
  /**
   * The identity of the session this worker last saw in the store; cleared when the broker
   * itself ends it. A read that finds no record while it is set means the record vanished.
   */
  #known: string | undefined;

  constructor(deps: SessionViewDependencies) {
    this.#deps = deps;
  }

  /** Reads the session; reports a record that vanished, or whose subject changed without a login (replaced outside the broker). */
  async read(again = true): Promise<StoredSession | undefined> {
    const session = await this.#deps.sessions.read();
    // Ended by the server and about to be deleted: already gone for every caller.
    if (session && this.#ending !== undefined && identityOf(session) === this.#ending) return undefined;
    if (!session) {
      if (this.#known !== undefined) await this.#vanished(this.#known);
      return undefined;
    }
    const over = await this.#endIfOver(session);
    if (over === 'ended') return undefined;
    // Another read ended it (or a login replaced it) meanwhile: what the store holds now (read once more, not in a loop).
    if (over === 'gone') return again ? this.read(false) : undefined;
    this.#known = identityOf(session);
    const subject = subjectOf(session);
    if (subject !== undefined) {
      const known = this.#subject;
      this.#subject = subject;
      if (known !== undefined && known !== subject) {
        const reason = 'The stored session is for another user than before, without a login: its record was replaced outside the broker';
        await this.#deps.notify('subject-changed', this.statusOf(session), reason);
      }
    }
    return session;
  }

  /**
   * A page names the session it knows (`getToken`, `refresh`) and the store has none: unless
   * this worker saw that session end, its record vanished (a restarted worker remembers nothing).
   */
  async noticeMissing(claimed: string | undefined): Promise<void> {
    if (claimed === undefined || this.endedBy || this.loggedOut) return;
    await this.#vanished(claimed);
  }

  /**
   * The record is gone and the broker did not remove it (site data cleared, the database
   * deleted): the session ends for every tab with a reason, and every later request for it
   * gets the same typed error, never a token-less send as if nobody had logged in.
   */
  async #vanished(identity: string): Promise<void> {
    if (this.#known !== identity && this.#known !== undefined) return;
    this.#known = undefined;
    this.#subject = undefined;
    this.#deps.dropCached();
    const reason = "The session's record vanished from the service worker's storage (this site's data was cleared): log in again";
    const ended = new SessionEndedError(reason, { details: { endedBy: 'storage-cleared' } });
    this.endedBy = ended;
    await this.#deps.notify('session-ended', this.statusOf(undefined), ended.message, ended.details);
  }

  /**
   * A session past its idle deadline or lifetime ends at its first read after it: cleared
   * (compare-and-delete: a login that replaced it stays), revoked, and every tab told why
   * (`details.endedBy`: `idle` or `expired`). `gone`: the store no longer held it (another read
   * ended it, a login replaced it).
   */
  async #endIfOver(session: StoredSession): Promise<'ended' | 'live' | 'gone'> {
    const { sessionExpiresAt, endsBy } = deadlinesOf(session, this.#deps.config.session);
    if (sessionExpiresAt === null || endsBy === null || this.#deps.now() < sessionExpiresAt) return 'live';
    const reason = endsBy === 'idle' ? 'The session was not refreshed within its idle timeout: log in again' : 'The session reached the end of its lifetime: log in again';
    const ended = new SessionEndedError(reason, { details: { endedBy: endsBy } });
    // Known as ended before the delete: a read meanwhile must not take the empty store for a vanished record.
    const undo = this.ending(ended, session);
    if (!(await this.#deps.sessions.clearIf(session.refreshToken))) {
      undo();
      return 'gone';
    }
    this.#deps.dropCached();
    this.#deps.revoke(session, `the session that reached its ${endsBy === 'idle' ? 'idle timeout' : 'lifetime'}`);
    await this.#deps.notify('session-ended', this.statusOf(undefined), ended.message, ended.details);
    return 'ended';
  }

  /** A login stored `session`: nothing of the previous one applies any more. */
  started(session: StoredSession): void {
    this.endedBy = undefined;
    this.#ending = undefined;
    this.loggedOut = undefined;
    this.#subject = session.subject;
    this.#known = identityOf(session);
  }

  /** The broker itself removes the session (logout), or a login's write failed and left none: nothing is known to be stored. */
  forget(): void {
    this.#subject = undefined;
    this.#known = undefined;
  }

  /**
   * The server ended `session`: set before its record is deleted; returns how to undo it when
   * nothing was deleted. Until then a read that still finds that record takes it as gone:
   * remembering it again would make its deletion look like a vanished record (a second,
   * wrong `session-ended`, seen in WebKit).
   */
  ending(error: BrokerError, session?: StoredSession): () => void {
    const before = { endedBy: this.endedBy, subject: this.#subject, known: this.#known, ending: this.#ending };
    this.endedBy = error;
    this.#ending = session && identityOf(session);
    this.forget();
    return () => ({ endedBy: this.endedBy, subject: this.#subject, known: this.#known, ending: this.#ending } = before);
  }

  /** The identity of a session whose record is being deleted because the server ended it. */
  #ending: string | undefined;


  /** Turns one refresh's outcome into events and the callers' result (once per refresh, however many wait). */
  async settle(outcome: RefreshOutcome): Promise<StoredSession> {
    const { notify } = this.#deps;
    this.#deps.dropCached();
    if (outcome.kind === 'ended') {
      await notify('session-ended', this.statusOf(undefined), outcome.error.message, outcome.error.details);
      throw outcome.error;
    }
    if ((outcome.kind === 'failed' || outcome.kind === 'refreshed') && outcome.unstored) await this.#reportUnstored(outcome.unstored);
    if (outcome.kind === 'failed') throw outcome.error;
    if (outcome.kind !== 'refreshed') {
      const current = await this.read();
      // Logged out while the refresh was out: say so, as for a late 401 report.
      if (!current) throw this.loggedOut ?? new NotLoggedInError();
      return current;
    }
    const { session, previousSubject } = outcome;
    this.#subject = subjectOf(session) ?? this.#subject;
    await notify('refreshed', this.statusOf(session));
    const subject = subjectOf(session);
    if (previousSubject !== undefined && subject !== undefined && previousSubject !== subject) {
      await notify('subject-changed', this.statusOf(session), 'The refreshed tokens are for another user than the session was: its record was replaced outside the broker');
    }
    return session;
  }

  /** Tells every tab that the session lives in memory only (the write is retried on the next request). */
  async #reportUnstored(error: BrokerError): Promise<void> {
    console.warn(`sw-token-broker: ${error.message}`);
    // The kept session: read from memory, without touching the failing store.
    const session = await this.#deps.sessions.read();
    const reason = `${error.message}; the session is kept in the service worker's memory and the write is retried on the next request (a stopped worker loses it)`;
    await this.#deps.notify('storage-failed', this.statusOf(session), reason);
  }

  /** When the worker will refresh an access token (rule 5: within the skew, capped at a fraction of its lifetime). */
  refreshAt(token: AccessTokenSlot): number {
    const { skewMs, maxSkewFraction } = this.#deps.config;
    return refreshDueAt(token.accessIssuedAt, token.accessExpiresAt, skewMs, maxSkewFraction);
  }

  /** True when the session's token for `api` (default: the login's) is due, or that API has none yet. */
  isDue(session: StoredSession, api: string = LOGIN_TOKEN): boolean {
    const token = tokenOf(session, api);
    return token === undefined || this.#deps.now() >= this.refreshAt(token);
  }

  /** When a token of the session expires and is refreshed, and which it is: what a page may know of it. */
  timing(session: StoredSession, token: AccessTokenSlot = session): { accessExpiresAt: number; refreshAt: number; generation: number; session: string } {
    return { accessExpiresAt: token.accessExpiresAt, refreshAt: this.refreshAt(token), generation: token.generation, session: identityOf(session) };
  }

  /** A token result for a page: the token itself except in sealed mode. */
  tokenResult(session: StoredSession, token: AccessTokenSlot = session): TokenResult {
    const timing = this.timing(session, token);
    return this.#deps.config.mode === 'sealed' ? { mode: 'sealed', ...timing } : { mode: 'handoff', accessToken: token.accessToken, ...timing };
  }

  /** The session state any page may see: never a token. */
  statusOf(session: StoredSession | undefined): SessionStatus {
    const now = this.#deps.now();
    return {
      loggedIn: session !== undefined,
      accessExpiresAt: session?.accessExpiresAt ?? null,
      generation: session?.generation ?? null,
      mode: this.#deps.config.mode,
      refreshRetryAt: session ? (this.#deps.retryAt(now) ?? null) : null,
      workerStartedAt: this.#deps.startedAt,
      persisted: session ? this.#deps.sessions.persisted : null,
      dpopBound: session ? session.dpop !== undefined && session.dpopBound !== false : null,
      claims: session?.claims ?? null,
      session: session ? identityOf(session) : null,
      ...this.#deadlines(session),
    };
  }

  #deadlines(session: StoredSession | undefined): Pick<SessionStatus, 'sessionExpiresAt' | 'idleExpiresAt'> {
    if (!session) return { sessionExpiresAt: null, idleExpiresAt: null };
    const { sessionExpiresAt, idleExpiresAt } = deadlinesOf(session, this.#deps.config.session);
    return { sessionExpiresAt, idleExpiresAt };
  }
}
