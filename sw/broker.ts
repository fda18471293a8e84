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
  MisconfiguredError,
  NotLoggedInError,
  RefreshUnavailableError,
  SessionChangedError,
  SessionEndedError,
  StorageFailedError,
  isBrokerError,
  type BrokerEventType,
  type ErrorDetails,
  type FailedCredential,
  type HandoffTokenResult,
  type RefreshResult,
  type SessionStatus,
  type TokenResult,
} from '../protocol/index.js';
import { rotatedRefreshTokenOf } from './adapters/http.js';
import type { EndpointContext, TokenSet } from './adapters/types.js';
import type { ResolvedTokenBrokerConfig } from './config.js';
import { generateDpopKey, type DpopKey } from './dpop.js';
import { CoolDown } from './cool-down.js';
import { accessExpiry, jwtClaims, refreshDueAt } from './expiry.js';
import type { LockRunner } from './lock.js';
import { SessionKeeper } from './session-keeper.js';
import { SESSION_VERSION, type SessionStore, type StoredSession } from './store.js';

/** How long a login by redirect may take, from start to callback. */
const PENDING_LOGIN_TTL_MS = 10 * 60 * 1000;
/** Pending logins kept at most: a page that starts logins in a loop cannot fill the store. */
const MAX_PENDING_LOGINS = 10;

/**
 * A refresh request is never abandoned (the server rotates whether or not we listen), but
 * one that never answers must end some time: this many times the callers' bound, at least a minute.
 */
const HARD_LIMIT_FACTOR = 6;
const MIN_HARD_LIMIT_MS = 60_000;

/** How often sealed mode's cached token is checked against the store (a vanished record is noticed within this). */
const SEALED_RECHECK_MS = 1_000;
/** A logout removes the session it read; a login landing in between is logged out too, a few times at most. */
const MAX_LOGOUT_TURNS = 3;

/** Spent refresh tokens remembered (the last few rotations are all that can come back). */
const MAX_SPENT_TOKENS = 32;

/** A refresh in flight: its outcome, and when its request went out (callers' waits are bounded from then). */
interface Flight {
  outcome: Promise<StoredSession>;
  sent: Promise<void>;
  /** The identity of the session it refreshes: callers of another session never join it. */
  session: string;
}

/** Tells every tab of the origin about a session change; `session-ended` says why, with what the server said. */
export type Notify = (event: BrokerEventType, status: SessionStatus, reason?: string, details?: ErrorDetails) => void | Promise<void>;

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
  #flight: Flight | undefined;
  #sealedCache: StoredSession | undefined;
  readonly #coolDown = new CoolDown();
  /** Why the last session ended, so every late 401 report for it gets the same, full error. */
  #endedBy: BrokerError | undefined;
  /** Set by a logout: what a late 401 report for the logged-out session's token gets (`details.endedBy: 'logout'`). */
  #loggedOut: SessionEndedError | undefined;
  /**
   * Bumped by every login and logout. A refresh that finds it changed when its answer
   * arrives does not write: its session was replaced or ended meanwhile.
   */
  #epoch = 0;
  /** Work the worker must stay alive for after its reply (revocations). */
  readonly #background = new Set<Promise<unknown>>();
  /** The session: the store's, or the one kept in memory while writing it fails. */
  readonly #sessions: SessionKeeper;
  /**
   * Refresh tokens this worker sent and the server answered with a rotation: never sent
   * again, whatever the store returns (a refresh token presented twice revokes the session).
   */
  readonly #spent = new Set<string>();
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

  #markSpent(refreshToken: string): void {
    this.#spent.add(refreshToken);
    if (this.#spent.size > MAX_SPENT_TOKENS) this.#spent.delete(this.#spent.values().next().value!);
  }

  get #lockName(): string {
    return `sw-token-broker:${this.name}`;
  }

  #context(dpop?: DpopKey, timeoutMs = this.#deps.config.requestTimeoutMs): EndpointContext {
    return { fetch: this.#deps.fetch, timeoutMs, dpop };
  }

  /**
   * Resolves when no refresh is in flight. The worker passes it to `waitUntil`, so it is
   * kept alive until a refresh whose callers stopped waiting has stored its answer.
   */
  whenIdle(): Promise<void> {
    const pending = [...this.#background, ...(this.#flight ? [this.#flight.outcome] : [])];
    return Promise.allSettled(pending).then(() => undefined);
  }

  /**
   * Revokes a refresh token without making anyone wait for it (RFC 7009 §2.2), and tells
   * every tab how it went: `revoked`, or `revocation-failed` with what the server said, so
   * a logout that left the token live at the server is never silent.
   *
   * @param why what the token was, for the event's reason ("the logged-out session").
   */
  #revokeInBackground(refreshToken: string, dpop: DpopKey | undefined, why: string): void {
    const { endpoint } = this.#deps.config;
    const attempt = endpoint.revoke
      ? endpoint.revoke(refreshToken, this.#context(dpop))
      : Promise.reject(
          new MisconfiguredError(
            'No revocation endpoint configured: the refresh token stays valid at the server until it expires. Set revocationEndpoint (oauth2Endpoint, oidcEndpoint) or logoutUrl (jsonEndpoint)',
          ),
        );
    const done = attempt
      .then(
        async () => this.#deps.notify('revoked', await this.status(), `The refresh token of ${why} was revoked at the server`),
        async (error: unknown) => {
          const failure = isBrokerError(error) ? error : new RefreshUnavailableError('The revocation failed unexpectedly', { cause: error });
          console.warn(`sw-token-broker: the refresh token of ${why} was not revoked: ${failure.message}`);
          await this.#deps.notify('revocation-failed', await this.status(), `The refresh token of ${why} was not revoked: ${failure.message}`, failure.details);
        },
      )
      .catch(() => undefined) // only a failing notify lands here: nobody is left to tell
      .finally(() => this.#background.delete(done));
    this.#background.add(done);
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
    const tokens = [session?.accessToken, session?.refreshToken, this.#sealedCache?.accessToken, ...this.#spent].filter(
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
    this.#coolDown.succeeded();
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

  /**
   * With DPoP on, a token response must say `token_type: DPoP`: anything else is a server
   * that ignored the proof (or a proxy that stripped it), and its tokens work from anywhere.
   * Refused unless the config allows unbound tokens.
   */
  #bindingRefusal(tokens: TokenSet, grant: 'login' | 'refresh'): BrokerError | undefined {
    const { dpop, dpopAllowUnbound } = this.#deps.config;
    if (!dpop || dpopAllowUnbound || tokens.tokenType?.toLowerCase() === 'dpop') return undefined;
    const answered = tokens.tokenType === undefined ? 'no token_type' : `token_type ${JSON.stringify(tokens.tokenType)}`;
    const message =
      `DPoP is configured, but the token endpoint answered with ${answered}: its tokens are not bound to the worker's key, ` +
      'and would work for anyone who copied them. They were revoked. Turn DPoP on at the server (or remove a proxy that strips the DPoP header), ' +
      'or allow unbound tokens with dpop: { allowUnbound: true }';
    const details = { error: 'dpop_not_bound', errorDescription: answered };
    return grant === 'login' ? new MisconfiguredError(message, { details }) : new SessionEndedError(message, { details });
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
   * Starts a login by redirect: keeps state, nonce and PKCE verifier in the store and
   * returns the authorization URL for the page to navigate to.
   *
   * @throws BrokerError `not-supported` when the endpoint has no redirect login; RefreshUnavailableError.
   */
  async startRedirectLogin(returnTo: string, check?: string): Promise<string> {
    const redirect = this.#deps.config.endpoint.redirectLogin;
    if (!redirect) throw new BrokerError(ErrorCode.NotSupported, 'This token endpoint logs in with credentials, not a redirect');
    const { authorizationUrl, pending } = await redirect.start(this.#context());
    await this.#prunePending(MAX_PENDING_LOGINS - 1);
    try {
      await this.#deps.store.savePending({ ...pending, returnTo, check, createdAt: this.#deps.now() });
    } catch (error) {
      throw new StorageFailedError('The login could not be started: its state could not be written to storage', { cause: error });
    }
    return authorizationUrl;
  }

  /** Deletes expired pending logins and the oldest beyond `keep`. */
  async #prunePending(keep: number): Promise<void> {
    const now = this.#deps.now();
    const pending = (await this.#deps.store.listPending()).sort((a, b) => b.createdAt - a.createdAt);
    const stale = pending.filter((login, index) => index >= keep || now - login.createdAt > PENDING_LOGIN_TTL_MS);
    await Promise.all(stale.map((login) => this.#deps.store.deletePending(login.state)));
  }

  /**
   * Finishes a login by redirect when the browser comes back to the callback URL: checks
   * the state against a pending login (each is used once), exchanges the code, stores the
   * session and tells every tab. Returns where to send the browser, and the error if any.
   */
  async finishRedirectLogin(callback: URL, fallbackReturnTo: string): Promise<{ returnTo: string; check?: string; error?: BrokerError }> {
    const redirect = this.#deps.config.endpoint.redirectLogin;
    const state = callback.searchParams.get('state');
    const pending = state && state.length <= 256 ? await this.#deps.store.takePending(state) : undefined;
    if (!redirect || !pending) {
      return { returnTo: fallbackReturnTo, error: new LoginFailedError('Unknown or already used login state (a replayed or forged callback)') };
    }
    const { returnTo, check } = pending;
    if (this.#deps.now() - pending.createdAt > PENDING_LOGIN_TTL_MS) {
      return { returnTo, check, error: new LoginFailedError('The login took too long; start it again') };
    }
    try {
      const dpop = await this.#newDpopKey();
      const tokens = await redirect.finish(callback, pending, this.#context(dpop));
      await this.#storeLogin(tokens, dpop, { revokeReplaced: false });
      return { returnTo, check };
    } catch (error) {
      return {
        returnTo,
        check,
        error: isBrokerError(error) ? error : new LoginFailedError('The login could not be completed', { cause: error }),
      };
    }
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
  async #refreshShared(stillNeeded: (session: StoredSession) => boolean, session: string): Promise<StoredSession> {
    const other = this.#flight;
    if (other && other.session !== session) {
      // A refresh of the session a login replaced is still out (its answer will be refused or
      // revoked): this session's refresh waits for it (one at a time), never joins it, whose
      // outcome is about another session.
      await this.#waitFor(other).catch(() => undefined);
      if (this.#flight === other) {
        throw new RefreshUnavailableError('A refresh of the session that this one replaced is still waiting for the token endpoint; try again shortly');
      }
    }
    if (!this.#flight) {
      const blocked = this.#coolDown.blocked(this.#deps.now());
      if (blocked) throw blocked;
      const flight = this.#startFlight(stillNeeded, session);
      this.#flight = flight;
      void flight.outcome.then(
        () => this.#flight === flight && (this.#flight = undefined),
        () => this.#flight === flight && (this.#flight = undefined),
      );
    }
    return this.#waitFor(this.#flight);
  }

  /** Waits for a flight's outcome, at most `requestTimeoutMs` from when its request went out (or from joining). */
  async #waitFor(flight: Flight): Promise<StoredSession> {
    const timeoutMs = this.#deps.config.requestTimeoutMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = flight.sent.then(
      () =>
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new RefreshUnavailableError(
                  `The token endpoint did not answer within ${timeoutMs} ms; the refresh goes on, and its answer will be kept for the next request`,
                ),
              ),
            timeoutMs,
          );
        }),
    );
    try {
      return await Promise.race([flight.outcome, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  #startFlight(stillNeeded: (session: StoredSession) => boolean, session: string): Flight {
    let markSent!: () => void;
    const sent = new Promise<void>((resolve) => (markSent = resolve));
    const outcome = this.#refreshUnderLock(stillNeeded, markSent);
    // Nobody may be waiting any more when it fails; the failure is handled inside.
    outcome.catch(() => undefined);
    return { outcome, sent, session };
  }

  async #refreshUnderLock(stillNeeded: (session: StoredSession) => boolean, markSent: () => void): Promise<StoredSession> {
    let ended: BrokerError | undefined;
    let unstored: BrokerError | undefined;
    let previousSubject: string | undefined;
    const { requestTimeoutMs } = this.#deps.config;
    const hardLimitMs = Math.max(MIN_HARD_LIMIT_MS, requestTimeoutMs * HARD_LIMIT_FACTOR);
    const refreshed = await this.#deps.locks(this.#lockName, this.#deps.config.lockTimeoutMs, async () => {
      // Re-read under the lock: another worker version may have refreshed meanwhile.
      const epoch = this.#epoch;
      const session = await this.#read();
      if (!session) throw new NotLoggedInError();
      if (!stillNeeded(session)) return undefined;
      // The one rule that keeps reuse detection quiet: a refresh token the server already rotated is never sent again.
      if (this.#spent.has(session.refreshToken)) {
        throw new StorageFailedError(
          'The stored refresh token was already used, and its rotation was not stored: it is not sent again (the server would see reuse and revoke the session)',
        );
      }
      previousSubject = subjectOf(session);
      let tokens: TokenSet;
      try {
        const request = this.#deps.config.endpoint.refresh(session.refreshToken, this.#context(session.dpop, hardLimitMs));
        markSent();
        tokens = await request;
        if (tokens.refreshToken !== undefined && tokens.refreshToken !== session.refreshToken) this.#markSpent(session.refreshToken);
        const refusal = this.#bindingRefusal(tokens, 'refresh');
        if (refusal) {
          if (tokens.refreshToken) this.#revokeInBackground(tokens.refreshToken, session.dpop, 'a refresh the server answered with unbound tokens');
          throw refusal;
        }
      } catch (error) {
        if (isBrokerError(error) && error.code === ErrorCode.SessionEnded) {
          this.#coolDown.succeeded();
          // The reason first: a report that finds the store empty must find it.
          const before = { endedBy: this.#endedBy, subject: this.#subject, known: this.#known };
          this.#endedBy = error;
          this.#subject = undefined;
          this.#known = undefined;
          // Compare-and-delete: only the session this refresh was for. A login that replaced it
          // meanwhile (and may be why the server refused: it revoked the old token) stays.
          if (!(await this.#sessions.clearIf(session.refreshToken))) {
            ({ endedBy: this.#endedBy, subject: this.#subject, known: this.#known } = before);
            throw new SessionChangedError("The session this refresh was for was replaced by another login while the refresh was out: the new session is kept, and this request is not sent with its token", { cause: error });
          }
          ended = error;
          throw error;
        }
        const failure = isBrokerError(error) ? error : new RefreshUnavailableError('The refresh failed unexpectedly', { cause: error });
        // An answer refused for its access token may still carry a rotated refresh token: keep it, the old one is spent.
        const rotated = rotatedRefreshTokenOf(error);
        if (rotated && rotated !== session.refreshToken && this.#epoch === epoch) {
          this.#markSpent(session.refreshToken);
          await this.#sessions.write({ ...session, refreshToken: rotated }).catch((storeError: unknown) => void (unstored = storeError as BrokerError));
        }
        // A misconfigured URL (a redirect) is not hammered either: it will answer the same way.
        const coolsDown = failure.retryable || failure.code === ErrorCode.Misconfigured;
        throw coolsDown ? this.#coolDown.failed(failure, this.#deps.now()) : failure;
      }
      this.#coolDown.succeeded();
      const next = this.#sessionFrom(tokens, tokens.refreshToken ?? session.refreshToken, session.generation + 1, session.dpop, session.sessionId);
      // A refresh answer rarely carries a new id_token: the user is the same, so are the claims.
      if (!next.claims && (next.subject === undefined || next.subject === session.subject)) next.claims = session.claims;
      // Nor a subject, often: the session is still the same user's (its identity must not change with a refresh).
      if (next.subject === undefined) next.subject = session.subject;
      if (this.#epoch !== epoch) {
        // Logged out or logged in again while the request was out: the answer belongs to a
        // session that is gone. Revoke what it issued instead of writing it back.
        if (tokens.refreshToken) this.#revokeInBackground(tokens.refreshToken, session.dpop, 'a refresh answered after its session ended');
        return undefined;
      }
      // The rotated refresh token is durable before any page sees the new access token, or,
      // when the write fails, kept in memory (the keeper retries it) and every tab is told.
      // (No await between the epoch check and this write: a logout after it is ordered after it.)
      try {
        await this.#sessions.write(next);
      } catch (error) {
        unstored = isBrokerError(error) ? error : new StorageFailedError(undefined, { cause: error });
      }
      return next;
    })
      .catch(async (error: unknown) => {
        if (ended) await this.#deps.notify('session-ended', this.#statusOf(undefined), ended.message, ended.details);
        throw error;
      })
      .finally(async () => {
        this.#sealedCache = undefined;
        if (unstored) await this.#reportUnstored(unstored);
      });
    if (refreshed === undefined) {
      const current = await this.#read();
      // Logged out while the refresh was out: say so, as for a late 401 report.
      if (!current) throw this.#loggedOut ?? new NotLoggedInError();
      return current;
    }
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
    const now = this.#deps.now();
    return {
      dpop,
      dpopBound: dpop && tokens.tokenType?.toLowerCase() !== 'dpop' ? false : undefined,
      subject: tokens.subject ?? (typeof tokens.claims?.sub === 'string' ? tokens.claims.sub : undefined) ?? jwtClaims(tokens.accessToken)?.sub,
      claims: tokens.claims,
      version: SESSION_VERSION,
      refreshToken,
      accessToken: tokens.accessToken,
      accessIssuedAt: now,
      accessExpiresAt: accessExpiry(now, tokens.accessToken, tokens.expiresInSeconds, this.#deps.config.defaultLifetimeMs),
      generation,
      sessionId,
    };
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
      refreshRetryAt: session ? (this.#coolDown.retryAt(this.#deps.now()) ?? null) : null,
      workerStartedAt: this.#startedAt,
      persisted: session ? this.#sessions.persisted : null,
      dpopBound: session ? session.dpop !== undefined && session.dpopBound !== false : null,
      claims: session?.claims ?? null,
      session: session ? identityOf(session) : null,
    };
  }
}

/**
 * Which session this is, for rule 11 (a request is only sent with a token of its own
 * session): the user where the tokens name one, else the id fixed at its login.
 */
export function identityOf(session: StoredSession): string {
  const subject = subjectOf(session);
  return subject !== undefined ? `sub:${subject}` : `sid:${session.sessionId ?? 'unknown'}`;
}

/** Who a session is for: its recorded subject, else a JWT access token's `sub`. */
function subjectOf(session: StoredSession): string | undefined {
  return session.subject ?? jwtClaims(session.accessToken)?.sub;
}
