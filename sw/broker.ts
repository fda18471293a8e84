/**
 * The session operations and the rule "one refresh at a time for the whole origin".
 *
 * Concurrent callers in this worker share one in-flight refresh; a lock (a Web Lock in
 * a worker) serialises refreshes across worker versions, and the store is re-read after
 * taking it, so a refresh another worker already did is reused, not repeated.
 */
import {
  BrokerError,
  ErrorCode,
  LoginFailedError,
  NotLoggedInError,
  RefreshUnavailableError,
  SessionChangedError,
  SessionEndedError,
  StorageFailedError,
  isBrokerError,
  type FailedCredential,
  type HandoffTokenResult,
  type RefreshResult,
  type SessionStatus,
  type TokenResult,
} from '../protocol/index.js';
import type { EndpointContext, TokenSet } from './adapters/types.js';
import type { ResolvedTokenBrokerConfig } from './config.js';
import { generateDpopKey, type DpopKey } from './dpop.js';
import { refreshDueAt } from './expiry.js';
import type { LockRunner } from './lock.js';
import { SessionKeeper } from './session-keeper.js';
import { bindingRefusal, identityOf, sessionFrom, subjectOf } from './session/record.js';
import { RedirectLogins } from './session/redirect-login.js';
import { BackgroundRevocations } from './session/revocation.js';
import { RefreshFlight, type FlightHost, type RefreshOutcome } from './session/refresh-flight.js';

import type { SessionStore, StoredSession } from './store.js';
import type { Notify } from './session/notify.js';

export { identityOf } from './session/record.js';
export type { Notify } from './session/notify.js';

/** How often sealed mode's cached token is checked against the store (a vanished record is noticed within this). */
const SEALED_RECHECK_MS = 1_000;
/** A logout removes the session it read; a login landing in between is logged out too, a few times at most. */
const MAX_LOGOUT_TURNS = 3;

/** What a broker works with; `installTokenBroker` wires the real ones, tests inject their own. */
export interface BrokerDependencies {
  config: ResolvedTokenBrokerConfig;
  name: string;
  store: SessionStore;
  locks: LockRunner;
  notify: Notify;
  fetch: typeof fetch;
  now: () => number;
  /** Called when a login stored a session, or a logout cleared it, before the tabs are told (the offline queue drops what the session made). */
  onSessionChange?: (change: SessionChange) => Promise<void>;
}

/** A login (with the new session's subject, when the tokens say) or a logout. */
export type SessionChange = { kind: 'login'; subject: string | undefined; session: string } | { kind: 'logout' };

/**
 * One broker's sessions: login (by credentials or by redirect), tokens refreshed ahead of
 * expiry, 401 reports, logout. Every refresh goes through {@link TokenBroker.refresh} or
 * {@link TokenBroker.getToken} into one shared, locked refresh.
 */
export class TokenBroker {
  /** The storage namespace (and lock name) of this broker. */
  readonly name: string;
  readonly #deps: BrokerDependencies;
  /** When this worker instance started: `status().workerStartedAt`. */
  readonly #startedAt: number;
  /** Rule 1: the one refresh at a time. */
  readonly #flights: RefreshFlight;
  #sealedCache: StoredSession | undefined;
  /** Why the last session ended, so every late 401 report for it gets the same, full error. */
  #endedBy: BrokerError | undefined;
  /** Set by a logout: what a late 401 report for the logged-out session's token gets (`details.endedBy: 'logout'`). */
  #loggedOut: SessionEndedError | undefined;
  /**
   * Bumped by every login and logout. A refresh that finds it changed when its answer
   * arrives does not write: its session was replaced or ended meanwhile.
   */
  #epoch = 0;
  /** Revocations in the background: the worker stays alive for them. */
  readonly #revocations: BackgroundRevocations;
  readonly #redirectLogins: RedirectLogins;
  /** The session: the store's, or the one kept in memory while writing it fails. */
  readonly #sessions: SessionKeeper;
  /** Who the session is for, as this worker last saw it; a record for someone else without a login is reported. */
  #subject: string | undefined;
  /**
   * The identity of the session this worker last saw in the store; cleared when the broker
   * itself ends it. A read that finds no record while it is set means the record vanished
   * (the browser cleared site data): every tab is told (`storage-cleared`).
   */
  #known: string | undefined;

  constructor(deps: BrokerDependencies) {
    this.#deps = deps;
    this.name = deps.name;
    this.#startedAt = deps.now();
    this.#sessions = new SessionKeeper(deps.store, deps.now);
    this.#revocations = new BackgroundRevocations({ endpoint: deps.config.endpoint, context: (dpop) => this.#context(dpop), notify: deps.notify, status: () => this.status() });
    this.#flights = new RefreshFlight(this.#flightHost(), {
      locks: deps.locks,
      lockName: `sw-token-broker:${deps.name}`,
      lockTimeoutMs: deps.config.lockTimeoutMs,
      requestTimeoutMs: deps.config.requestTimeoutMs,
      now: deps.now,
    });
    this.#redirectLogins = new RedirectLogins({
      redirect: deps.config.endpoint.redirectLogin,
      store: deps.store,
      now: deps.now,
      context: (dpop) => this.#context(dpop),
      newDpopKey: () => this.#newDpopKey(),
      storeLogin: (tokens, dpop) => this.#storeLogin(tokens, dpop, { revokeReplaced: false }),
    });
    // The browser closed the database under us (site data cleared): look whether the session is still there.
    deps.store.onClosed?.(() => void this.#read().catch(() => undefined));
  }

  /** Reads the session; reports a record whose subject changed without a login (replaced outside the broker). */
  async #read(): Promise<StoredSession | undefined> {
    const session = await this.#sessions.read();
    if (!session) {
      if (this.#known !== undefined) await this.#vanished(this.#known);
      return undefined;
    }
    this.#known = identityOf(session);
    const subject = subjectOf(session);
    if (subject !== undefined) {
      const known = this.#subject;
      this.#subject = subject;
      if (known !== undefined && known !== subject) {
        await this.#deps.notify(
          'subject-changed',
          this.#statusOf(session),
          'The stored session is for another user than before, without a login: its record was replaced outside the broker',
        );
      }
    }
    return session;
  }

  /**
   * The session record is gone and the broker did not remove it (site data cleared, the
   * database deleted): the session ends for every tab with a reason, and every later request
   * for it gets the same typed error, never a token-less send as if nobody had logged in.
   */
  async #vanished(identity: string): Promise<void> {
    if (this.#known !== identity && this.#known !== undefined) return;
    this.#known = undefined;
    this.#subject = undefined;
    this.#sealedCache = undefined;
    const ended = new SessionEndedError("The session's record vanished from the service worker's storage (this site's data was cleared): log in again", {
      details: { endedBy: 'storage-cleared' },
    });
    this.#endedBy = ended;
    await this.#deps.notify('session-ended', this.#statusOf(undefined), ended.message, ended.details);
  }

  /**
   * A page names the session it knows (`getToken`, `refresh`) and the store has none: unless
   * this worker saw that session end, its record vanished (a restarted worker remembers nothing).
   */
  async #noticeMissing(claimed: string | undefined): Promise<void> {
    if (claimed === undefined || this.#endedBy || this.#loggedOut) return;
    await this.#vanished(claimed);
  }

  #context(dpop?: DpopKey, timeoutMs = this.#deps.config.requestTimeoutMs): EndpointContext {
    return { fetch: this.#deps.fetch, timeoutMs, dpop };
  }

  /**
   * Resolves when no refresh is in flight. The worker passes it to `waitUntil`, so it is
   * kept alive until a refresh whose callers stopped waiting has stored its answer.
   */
  whenIdle(): Promise<void> {
    const flight = this.#flights.inFlight();
    const pending = [...this.#revocations.inFlight(), ...(flight ? [flight] : [])];
    return Promise.allSettled(pending).then(() => undefined);
  }

  #revokeInBackground(refreshToken: string, dpop: DpopKey | undefined, why: string): void {
    this.#revocations.revoke(refreshToken, dpop, why);
  }

  /** A new session gets a new DPoP key; none without DPoP. */
  async #newDpopKey(): Promise<DpopKey | undefined> {
    return this.#deps.config.dpop ? generateDpopKey() : undefined;
  }

  /**
   * True when any of `texts` contains a token the worker holds (the session's access or
   * refresh token, or one it rotated away): the offline queue never stores such a request.
   */
  async holdsTokenIn(texts: readonly string[]): Promise<boolean> {
    const session = await this.#sessions.read();
    const tokens = [session?.accessToken, session?.refreshToken, this.#sealedCache?.accessToken, ...this.#flights.spentTokens()].filter(
      // A token shorter than this could match by chance; real ones are far longer.
      (token): token is string => typeof token === 'string' && token.length >= 8,
    );
    return texts.some((text) => tokens.some((token) => text.includes(token)));
  }

  /** Which session is stored now ({@link identityOf}), null without one. Never refreshes. */
  async sessionIdentity(): Promise<string | null> {
    const session = await this.#read();
    return session ? identityOf(session) : null;
  }

  /** Tells the hook; its failure must not fail the login or logout. */
  async #sessionChanged(change: SessionChange): Promise<void> {
    try {
      await this.#deps.onSessionChange?.(change);
    } catch (error) {
      console.error('sw-token-broker: the session change hook failed', error);
    }
  }

  /** The session state any page may see. Never refreshes. */
  async status(): Promise<SessionStatus> {
    return this.#statusOf(await this.#read());
  }

  /**
   * Logs in and replaces any session.
   *
   * @throws LoginFailedError when the server refuses the credentials; RefreshUnavailableError when it cannot be reached.
   */
  async login(credentials: Readonly<Record<string, string>>): Promise<SessionStatus> {
    const { endpoint } = this.#deps.config;
    if (!endpoint.login) throw new BrokerError(ErrorCode.NotSupported, 'This provider logs in with a redirect: use loginWithRedirect()');
    const dpop = await this.#newDpopKey();
    const tokens = await endpoint.login(credentials, this.#context(dpop));
    return this.#storeLogin(tokens, dpop, { revokeReplaced: true });
  }

  /**
   * Stores a new session. A login with credentials revokes the session it replaces (its
   * refresh token would stay usable from outside otherwise). A login by redirect does not:
   * OpenID providers keep one grant per client and browser session (oidc-provider; Keycloak
   * ties refresh tokens to the SSO session), so revoking the replaced token would end the
   * new session too. Takes no lock: a refresh in flight sees the epoch change and does not
   * write over it.
   */
  async #storeLogin(tokens: TokenSet, dpop: DpopKey | undefined, { revokeReplaced }: { revokeReplaced: boolean }): Promise<SessionStatus> {
    if (!tokens.refreshToken) throw new LoginFailedError('The server logged in but issued no refresh token');
    const refusal = this.#bindingRefusal(tokens, 'login');
    if (refusal) {
      this.#revokeInBackground(tokens.refreshToken, dpop, 'a login the server answered with unbound tokens');
      throw refusal;
    }
    // The token endpoint answered: whatever failed before, it works now.
    this.#flights.coolDown.succeeded();
    this.#epoch++;
    const previous = await this.#sessions.read();
    this.#endedBy = undefined;
    this.#loggedOut = undefined;
    const session = this.#sessionFrom(tokens, tokens.refreshToken, (previous?.generation ?? 0) + 1, dpop, crypto.randomUUID());
    try {
      await this.#sessions.write(session);
    } catch (error) {
      // A session nobody can keep past this worker's life: revoke it rather than leave it live at the server.
      this.#sessions.discardUnsaved();
      // The write failure removed the record it replaced too: nothing is known to be stored.
      this.#known = undefined;
      this.#revokeInBackground(session.refreshToken, dpop, 'a login that could not be stored');
      const reason = isBrokerError(error) ? error.message : 'The session could not be written to storage';
      throw new StorageFailedError(`${reason}. The new session was revoked at the server; free storage for this site and log in again`, { cause: error });
    }
    this.#subject = session.subject;
    this.#known = identityOf(session);
    if (revokeReplaced && previous && previous.refreshToken !== session.refreshToken) this.#revokeInBackground(previous.refreshToken, previous.dpop, 'the session this login replaced');
    this.#sealedCache = undefined;
    await this.#sessionChanged({ kind: 'login', subject: session.subject, session: identityOf(session) });
    const status = this.#statusOf(session);
    await this.#deps.notify('login', status);
    return status;
  }

  #bindingRefusal(tokens: TokenSet, grant: 'login' | 'refresh'): BrokerError | undefined {
    return bindingRefusal(tokens, grant, this.#deps.config);
  }

  /**
   * A valid access token, refreshed first when it is within the skew of its expiry.
   *
   * @throws NotLoggedInError, SessionEndedError, RefreshUnavailableError; BrokerError `not-supported` in sealed mode.
   */
  async getToken(claimed?: string): Promise<HandoffTokenResult> {
    if (this.#deps.config.mode === 'sealed') throw new BrokerError(ErrorCode.NotSupported, 'In sealed mode the worker never hands out the access token');
    const session = await this.#validSession(claimed);
    return { mode: 'handoff', accessToken: session.accessToken, ...this.#timing(session) };
  }

  /**
   * The access token for the sealed-mode fetch handler: never leaves the worker. Cached in
   * memory until it is due, so signing a request costs no IndexedDB read.
   *
   * @throws NotLoggedInError, SessionEndedError, RefreshUnavailableError.
   */
  async sealedToken(): Promise<{ accessToken: string; generation: number; dpop?: DpopKey; session: string }> {
    let session = this.#sealedCache;
    const now = this.#deps.now();
    // Re-read at most every second: a record that vanished (site data cleared) is noticed within that.
    if (!session || this.#isDue(session) || now - this.#sealedReadAt >= SEALED_RECHECK_MS) {
      session = this.#sealedCache = await this.#validSession();
      this.#sealedReadAt = now;
    }
    // An unbound token (allowed by `dpop: { allowUnbound: true }`) is sent as Bearer.
    const dpop = session.dpopBound === false ? undefined : session.dpop;
    return { accessToken: session.accessToken, generation: session.generation, dpop, session: identityOf(session) };
  }

  #sealedReadAt = 0;

  /**
   * The stored session, refreshed first when it is within the skew of its expiry. When that
   * ahead-of-time refresh fails with a retryable error (or is held back by the cool-down)
   * and the token has not expired yet, the token is still good: it is returned.
   */
  async #validSession(claimed?: string): Promise<StoredSession> {
    const session = await this.#read();
    if (!session) await this.#noticeMissing(claimed);
    // After the server ended the session, every request gets why (in every tab), not
    // "not logged in", so none is sent without a token as if nobody had logged in.
    if (!session) throw this.#endedBy ?? new NotLoggedInError();
    if (!this.#isDue(session)) return session;
    try {
      return await this.#refreshShared((current) => this.#isDue(current), identityOf(session));
    } catch (error) {
      if (isBrokerError(error) && error.retryable && this.#deps.now() < session.accessExpiresAt) return session;
      // The session was replaced by a login while its refresh was out: a new request takes the new one.
      if (isBrokerError(error) && error.code === ErrorCode.SessionChanged) {
        const current = await this.#read();
        if (current && !this.#isDue(current)) return current;
      }
      throw error;
    }
  }

  /**
   * Handles a 401: refreshes only if the failed credential is still the current one;
   * a stale 401 gets the newer token the worker already holds.
   *
   * @throws NotLoggedInError, SessionEndedError, RefreshUnavailableError.
   */
  async refresh(failed: FailedCredential): Promise<RefreshResult> {
    const isCurrent = (session: StoredSession) => {
      if (failed.failedToken !== undefined) return session.accessToken === failed.failedToken;
      if (failed.failedGeneration !== undefined) return session.generation === failed.failedGeneration;
      // No credential named: a page cannot force rotations; only a token that is due is refreshed.
      return this.#isDue(session);
    };
    const session = await this.#read();
    // A 401 for a token of a session that has since ended: tell the page why, not "log in first".
    if (!session) {
      await this.#noticeMissing(failed.session);
      if (failed.failedToken === undefined && failed.failedGeneration === undefined) throw new NotLoggedInError();
      throw this.#endedBy ?? this.#loggedOut ?? new SessionEndedError();
    }
    // The request was made in another session than the one stored now (a login in between):
    // it never gets this session's token.
    const made = failed.session ?? identityOf(session);
    if (identityOf(session) !== made) throw new SessionChangedError();
    if (!isCurrent(session)) return { ...this.#tokenResult(session), refreshed: false };
    const refreshed = await this.#refreshShared(isCurrent, made);
    if (identityOf(refreshed) !== made) throw new SessionChangedError();
    return { ...this.#tokenResult(refreshed), refreshed: refreshed.generation !== session.generation };
  }

  /**
   * Starts a login by redirect: returns the authorization URL for the page to navigate to.
   *
   * @throws BrokerError `not-supported` when the endpoint has no redirect login; StorageFailedError; RefreshUnavailableError.
   */
  startRedirectLogin(returnTo: string, check?: string): Promise<string> {
    return this.#redirectLogins.start(returnTo, check);
  }

  /** Finishes a login by redirect at its callback: where to send the browser, and the error if any. */
  finishRedirectLogin(callback: URL, fallbackReturnTo: string): Promise<{ returnTo: string; check?: string; error?: BrokerError }> {
    return this.#redirectLogins.finish(callback, fallbackReturnTo);
  }

  /**
   * Clears the session at once, tells every tab, and revokes the refresh token in the
   * background (the worker stays alive for it). It waits for no lock and no server, so a
   * slow token endpoint or a refresh in flight cannot keep the user logged in, and it is
   * safe to repeat: a page that got no answer sends it again.
   */
  async logout(): Promise<SessionStatus> {
    this.#epoch++;
    this.#endedBy = undefined;
    this.#subject = undefined;
    this.#known = undefined;
    // Compare-and-delete: each session removed is the one read (and so the one revoked); a
    // login that lands between the read and the delete is read and logged out in the next turn.
    for (let turn = 0; turn < MAX_LOGOUT_TURNS; turn++) {
      const session = await this.#sessions.read();
      if (!session) break;
      // A 401 report for this session's token, from a request in flight now, is told why.
      this.#loggedOut = new SessionEndedError('The session was logged out (in this tab or another) while this request was in flight', { details: { endedBy: 'logout' } });
      if (!(await this.#sessions.clearIf(session.refreshToken))) continue;
      this.#revokeInBackground(session.refreshToken, session.dpop, 'the logged-out session');
      break;
    }
    this.#known = undefined;
    this.#sealedCache = undefined;
    await this.#sessionChanged({ kind: 'logout' });
    const status = this.#statusOf(undefined);
    await this.#deps.notify('logged-out', status);
    return status;
  }

  /**
   * Joins the refresh in flight in this worker, or starts one: the one place where "one
   * refresh at a time" is decided. A caller waits at most `requestTimeoutMs` once the
   * request is out, then gets a retryable error; the request itself runs on (to a much
   * longer hard limit) and its answer is stored when it comes, for the next caller. Within
   * the cool-down after a failed request, no new one is sent.
   */
  #refreshShared(stillNeeded: (session: StoredSession) => boolean, session: string): Promise<StoredSession> {
    return this.#flights.run(stillNeeded, session);
  }

  /** What the flight needs of the broker: the store, the endpoint, the record, and what to do with each outcome. */
  #flightHost(): FlightHost {
    return {
      epoch: () => this.#epoch,
      read: () => this.#read(),
      sessions: this.#sessions,
      request: (session, timeoutMs) => this.#deps.config.endpoint.refresh(session.refreshToken, this.#context(session.dpop, timeoutMs)),
      bindingRefusal: (tokens) => this.#bindingRefusal(tokens, 'refresh'),
      revoke: (refreshToken, dpop, why) => this.#revokeInBackground(refreshToken, dpop, why),
      next: (tokens, session) => {
        const next = this.#sessionFrom(tokens, tokens.refreshToken ?? session.refreshToken, session.generation + 1, session.dpop, session.sessionId);
        // A refresh answer rarely carries a new id_token: the user is the same, so are the claims.
        if (!next.claims && (next.subject === undefined || next.subject === session.subject)) next.claims = session.claims;
        // Nor a subject, often: the session is still the same user's (its identity must not change with a refresh).
        if (next.subject === undefined) next.subject = session.subject;
        return next;
      },
      ending: (error) => {
        const before = { endedBy: this.#endedBy, subject: this.#subject, known: this.#known };
        this.#endedBy = error;
        this.#subject = undefined;
        this.#known = undefined;
        return () => ({ endedBy: this.#endedBy, subject: this.#subject, known: this.#known } = before);
      },
      settle: (outcome) => this.#settle(outcome),
    };
  }

  /** Turns one refresh's outcome into events and the callers' result (once per refresh, however many wait). */
  async #settle(outcome: RefreshOutcome): Promise<StoredSession> {
    this.#sealedCache = undefined;
    if (outcome.kind === 'ended') {
      await this.#deps.notify('session-ended', this.#statusOf(undefined), outcome.error.message, outcome.error.details);
      throw outcome.error;
    }
    if ((outcome.kind === 'failed' || outcome.kind === 'refreshed') && outcome.unstored) await this.#reportUnstored(outcome.unstored);
    if (outcome.kind === 'failed') throw outcome.error;
    if (outcome.kind !== 'refreshed') {
      const current = await this.#read();
      // Logged out while the refresh was out: say so, as for a late 401 report.
      if (!current) throw this.#loggedOut ?? new NotLoggedInError();
      return current;
    }
    const { session: refreshed, previousSubject } = outcome;
    this.#subject = subjectOf(refreshed) ?? this.#subject;
    await this.#deps.notify('refreshed', this.#statusOf(refreshed));
    const nextSubject = subjectOf(refreshed);
    if (previousSubject !== undefined && nextSubject !== undefined && previousSubject !== nextSubject) {
      await this.#deps.notify('subject-changed', this.#statusOf(refreshed), 'The refreshed tokens are for another user than the session was: its record was replaced outside the broker');
    }
    return refreshed;
  }

  /** Tells every tab that the session lives in memory only (the write is retried on the next request). */
  async #reportUnstored(error: BrokerError): Promise<void> {
    console.warn(`sw-token-broker: ${error.message}`);
    // The kept session: read from memory, without touching the failing store.
    const session = await this.#sessions.read();
    await this.#deps.notify(
      'storage-failed',
      this.#statusOf(session),
      `${error.message}; the session is kept in the service worker's memory and the write is retried on the next request (a stopped worker loses it)`,
    );
  }

  #sessionFrom(tokens: TokenSet, refreshToken: string, generation: number, dpop: DpopKey | undefined, sessionId: string | undefined): StoredSession {
    return sessionFrom(tokens, { refreshToken, generation, dpop, sessionId, now: this.#deps.now(), defaultLifetimeMs: this.#deps.config.defaultLifetimeMs });
  }

  #refreshAt(session: StoredSession): number {
    const { skewMs, maxSkewFraction } = this.#deps.config;
    return refreshDueAt(session.accessIssuedAt, session.accessExpiresAt, skewMs, maxSkewFraction);
  }

  #isDue(session: StoredSession): boolean {
    return this.#deps.now() >= this.#refreshAt(session);
  }

  #tokenResult(session: StoredSession): TokenResult {
    return this.#deps.config.mode === 'handoff'
      ? { mode: 'handoff', accessToken: session.accessToken, ...this.#timing(session) }
      : { mode: 'sealed', ...this.#timing(session) };
  }

  #timing(session: StoredSession) {
    return { accessExpiresAt: session.accessExpiresAt, refreshAt: this.#refreshAt(session), generation: session.generation, session: identityOf(session) };
  }

  #statusOf(session: StoredSession | undefined): SessionStatus {
    return {
      loggedIn: session !== undefined,
      accessExpiresAt: session?.accessExpiresAt ?? null,
      generation: session?.generation ?? null,
      mode: this.#deps.config.mode,
      refreshRetryAt: session ? (this.#flights.coolDown.retryAt(this.#deps.now()) ?? null) : null,
      workerStartedAt: this.#startedAt,
      persisted: session ? this.#sessions.persisted : null,
      dpopBound: session ? session.dpop !== undefined && session.dpopBound !== false : null,
      claims: session?.claims ?? null,
      session: session ? identityOf(session) : null,
    };
  }
}
