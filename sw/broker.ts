/**
 * The session's front door: login, tokens for pages and for signing, 401 reports, logout.
 * Each rule has its own module under `session/`: the one refresh at a time
 * (`refresh-flight.ts`), the session as the worker sees it and its vanishing
 * (`session-view.ts`), login by redirect, background revocation, the record itself.
 */
import { BrokerError, ErrorCode, LoginFailedError, NotLoggedInError, SessionChangedError, SessionEndedError, StorageFailedError, isBrokerError } from '../protocol/index.js';
import type { FailedCredential, HandoffTokenResult, RefreshResult, SessionStatus } from '../protocol/index.js';
import type { EndpointContext, TokenSet } from './adapters/types.js';
import { ApiTokens, LOGIN_TOKEN } from './api-tokens.js';
import { keepAliveDue } from './session-lifetime.js';
import type { ResolvedTokenBrokerConfig } from './config.js';
import { generateDpopKey, type DpopKey } from './dpop.js';
import type { LockRunner } from './lock.js';
import { SessionKeeper } from './session-keeper.js';
import { bindingRefusal, containsAny, heldTokens, identityOf, namesCurrentToken, refreshedRecord, sessionFrom, tokenOf } from './session/record.js';
import { RedirectLogins, type RedirectFinish, type RedirectStart } from './session/redirect-login.js';
import { BackgroundRevocations } from './session/revocation.js';
import { endSessionUrl } from './session/end-session.js';
import { RefreshFlight, type FlightHost } from './session/refresh-flight.js';
import { SessionView } from './session/session-view.js';
import { SealedSessionCache } from './session/sealed-cache.js';
import type { SessionStore, StoredSession } from './store.js';
import type { Notify } from './session/notify.js';

export { identityOf } from './session/record.js';
export type { Notify } from './session/notify.js';

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
  /** Rule 1: the one refresh at a time. */
  readonly #flights: RefreshFlight;
  /** Sealed mode: the session requests are signed with, without an IndexedDB read each. */
  readonly #sealed = new SealedSessionCache();
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
  /** The session as this worker sees it (rule 15), and how pages see it. */
  readonly #view: SessionView;
  /** Which token a URL gets (rule 14: one per API), and what its grant asks for. */
  readonly #apis: ApiTokens;

  constructor(deps: BrokerDependencies) {
    this.#deps = deps;
    this.name = deps.name;
    this.#apis = new ApiTokens(deps.config);
    this.#sessions = new SessionKeeper(deps.store, deps.now);
    this.#view = new SessionView({
      sessions: this.#sessions,
      config: deps.config,
      now: deps.now,
      notify: deps.notify,
      startedAt: deps.now(),
      retryAt: (now) => this.#flights.coolDown.retryAt(now),
      dropCached: () => this.#sealed.drop(),
      revoke: (session, why) => this.#revocations.revoke(session.refreshToken, session.dpop, why),
    });
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
    // (A store that cannot be read now is reported by the next request that needs it.)
    deps.store.onClosed?.(() => void this.#view.read().catch(() => undefined));
  }

  #context(dpop?: DpopKey, timeoutMs = this.#deps.config.requestTimeoutMs, grantParameters?: Record<string, string>): EndpointContext {
    return { fetch: this.#deps.fetch, timeoutMs, dpop, ...(grantParameters ? { grantParameters } : {}) };
  }

  /** Resolves when no refresh or revocation is in flight: the worker's `waitUntil`, so a refresh nobody waits for still stores its answer. */
  whenIdle(): Promise<void> {
    return Promise.allSettled([...this.#revocations.inFlight(), this.#flights.inFlight()]).then(() => undefined);
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
    return containsAny(texts, [...heldTokens(await this.#sessions.read()), ...this.#sealed.accessTokens, ...this.#flights.spentTokens()]);
  }

  /** Which session is stored now ({@link identityOf}), null without one. Never refreshes. */
  async sessionIdentity(): Promise<string | null> {
    const session = await this.#view.read();
    return session ? identityOf(session) : null;
  }

  /** Tells the hook; its failure must not fail the login or logout. */
  async #sessionChanged(change: SessionChange): Promise<void> {
    await Promise.resolve()
      .then(() => this.#deps.onSessionChange?.(change))
      .catch((error: unknown) => console.error('sw-token-broker: the session change hook failed', error));
  }

  /** The session state any page may see. Never refreshes. */
  async status(): Promise<SessionStatus> {
    return this.#view.statusOf(await this.#view.read());
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
    const refusal = bindingRefusal(tokens, 'login', this.#deps.config);
    if (refusal) {
      this.#revocations.revoke(tokens.refreshToken, dpop, 'a login the server answered with unbound tokens');
      throw refusal;
    }
    // The token endpoint answered: whatever failed before, it works now.
    this.#flights.coolDown.succeeded();
    this.#epoch++;
    const previous = await this.#sessions.read();
    const session = sessionFrom(tokens, {
      refreshToken: tokens.refreshToken,
      generation: (previous?.generation ?? 0) + 1,
      dpop,
      sessionId: crypto.randomUUID(),
      now: this.#deps.now(),
      defaultLifetimeMs: this.#deps.config.defaultLifetimeMs,
    });
    try {
      await this.#sessions.write(session);
    } catch (error) {
      // A session nobody can keep past this worker's life: revoke it rather than leave it live at the server.
      this.#sessions.discardUnsaved();
      // The write failure removed the record it replaced too: nothing is known to be stored.
      this.#view.forget();
      this.#revocations.revoke(session.refreshToken, dpop, 'a login that could not be stored');
      const reason = isBrokerError(error) ? error.message : 'The session could not be written to storage';
      throw new StorageFailedError(`${reason}. The new session was revoked at the server; free storage for this site and log in again`, { cause: error });
    }
    this.#view.started(session);
    if (revokeReplaced && previous && previous.refreshToken !== session.refreshToken) this.#revocations.revoke(previous.refreshToken, previous.dpop, 'the session this login replaced');
    this.#sealed.drop();
    await this.#sessionChanged({ kind: 'login', subject: session.subject, session: identityOf(session) });
    const status = this.#view.statusOf(session);
    await this.#deps.notify('login', status);
    return status;
  }

  /**
   * A valid access token for `url` (its API's; without a URL the login's), refreshed first when due.
   * @throws NotLoggedInError, SessionEndedError, RefreshUnavailableError; `misconfigured` (a URL outside the allowlist); `not-supported` (sealed mode).
   */
  async getToken(claimed?: string, url?: string): Promise<HandoffTokenResult> {
    if (this.#deps.config.mode === 'sealed') throw new BrokerError(ErrorCode.NotSupported, 'In sealed mode the worker never hands out the access token');
    const api = this.#apis.keyFor(url);
    const session = await this.#validSession(claimed, api);
    const token = tokenOf(session, api)!;
    return { mode: 'handoff', accessToken: token.accessToken, ...this.#view.timing(session, token) };
  }

  /** The access token for a sealed-mode request to `url`: never leaves the worker (cached: `session/sealed-cache.ts`). @throws as {@link getToken}. */
  async sealedToken(url?: string): Promise<{ accessToken: string; generation: number; dpop?: DpopKey; session: string }> {
    const api = this.#apis.keyFor(url);
    const session = await this.#sealed.get(this.#deps.now(), (cached) => this.#view.isDue(cached, api), () => this.#validSession(undefined, api));
    const token = tokenOf(session, api)!;
    // An unbound token (allowed by `dpop: { allowUnbound: true }`) is sent as Bearer.
    const dpop = session.dpopBound === false ? undefined : session.dpop;
    return { accessToken: token.accessToken, generation: token.generation, dpop, session: identityOf(session) };
  }

  /**
   * The stored session, refreshed first when it is within the skew of its expiry. When that
   * ahead-of-time refresh fails with a retryable error (or is held back by the cool-down)
   * and the token has not expired yet, the token is still good: it is returned.
   */
  async #validSession(claimed: string | undefined, api: string): Promise<StoredSession> {
    const session = await this.#view.read();
    if (!session) await this.#view.noticeMissing(claimed);
    // After the server ended the session, every request gets why (in every tab), not
    // "not logged in", so none is sent without a token as if nobody had logged in.
    if (!session) throw this.#view.endedBy ?? new NotLoggedInError();
    if (!this.#view.isDue(session, api)) return session;
    try {
      return await this.#flights.run((current) => this.#view.isDue(current, api), identityOf(session), api);
    } catch (error) {
      const held = tokenOf(session, api);
      if (isBrokerError(error) && error.retryable && held && this.#deps.now() < held.accessExpiresAt) return session;
      // The session was replaced by a login while its refresh was out: a new request takes the new one.
      if (isBrokerError(error) && error.code === ErrorCode.SessionChanged) {
        const current = await this.#view.read();
        if (current && !this.#view.isDue(current, api)) return current;
      }
      throw error;
    }
  }

  /** The keep-alive: refreshes (through the one flight, once for every tab) when the idle deadline is near; else nothing. */
  async keepAlive(): Promise<SessionStatus> {
    const session = await this.#view.read();
    const due = (current: StoredSession) => keepAliveDue(current, this.#deps.config.session, this.#deps.now());
    if (session && due(session)) await this.#flights.run(due, identityOf(session), LOGIN_TOKEN);
    return this.status();
  }

  /**
   * Handles a 401: refreshes only if the failed credential is still the current one;
   * a stale 401 gets the newer token the worker already holds.
   *
   * @throws NotLoggedInError, SessionEndedError, RefreshUnavailableError.
   */
  async refresh(failed: FailedCredential): Promise<RefreshResult> {
    const api = this.#apis.keyFor(failed.url);
    const isCurrent = (session: StoredSession) => namesCurrentToken(failed, tokenOf(session, api), () => this.#view.isDue(session, api));
    const session = await this.#view.read();
    // A 401 for a token of a session that has since ended: tell the page why, not "log in first".
    if (!session) {
      await this.#view.noticeMissing(failed.session);
      if (failed.failedToken === undefined && failed.failedGeneration === undefined) throw new NotLoggedInError();
      throw this.#view.endedBy ?? this.#view.loggedOut ?? new SessionEndedError();
    }
    // The request was made in another session than the one stored now (a login in between):
    // it never gets this session's token.
    const made = failed.session ?? identityOf(session);
    if (identityOf(session) !== made) throw new SessionChangedError();
    if (!isCurrent(session)) {
      const held = tokenOf(session, api) ?? tokenOf(await this.#validSession(made, api), api)!;
      return { ...this.#view.tokenResult(session, held), refreshed: false };
    }
    const refreshed = await this.#flights.run(isCurrent, made, api);
    if (identityOf(refreshed) !== made) throw new SessionChangedError();
    const token = tokenOf(refreshed, api)!;
    return { ...this.#view.tokenResult(refreshed, token), refreshed: token.generation !== tokenOf(session, api)!.generation };
  }

  /** Starts a login by redirect: the authorization URL. @throws BrokerError `not-supported`, `forbidden-parameter` (rule 14); StorageFailedError; RefreshUnavailableError. */
  startRedirectLogin(returnTo: string, options?: RedirectStart): Promise<string> {
    return this.#redirectLogins.start(returnTo, options);
  }

  /** Finishes a login by redirect at its callback: where to send the browser, and the error if any. */
  finishRedirectLogin(callback: URL, fallbackReturnTo: string): Promise<RedirectFinish> {
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
    this.#view.endedBy = undefined;
    this.#view.forget();
    const removed = await this.#sessions.clearCurrent(() => {
      // A 401 report for this session's token, from a request in flight now, is told why.
      this.#view.loggedOut = new SessionEndedError('The session was logged out (in this tab or another) while this request was in flight', { details: { endedBy: 'logout' } });
    });
    if (removed) this.#revocations.revoke(removed.refreshToken, removed.dpop, 'the logged-out session');
    this.#view.forget();
    this.#sealed.drop();
    await this.#sessionChanged({ kind: 'logout' });
    const status = this.#view.statusOf(undefined);
    await this.#deps.notify('logged-out', status);
    return status;
  }

  /** {@link logout}, then the provider's end-session URL (RP-initiated logout). @throws `not-supported` (logged out) without an end-session endpoint. */
  async logoutAtProvider(state: string): Promise<{ status: SessionStatus; endSessionUrl: string }> {
    const idToken = (await this.#sessions.read().catch(() => undefined))?.idToken;
    const status = await this.logout();
    return { status, endSessionUrl: await endSessionUrl(this.#deps.config.endpoint.redirectLogin, this.#context(), idToken, state) };
  }

  /** What the flight needs of the broker: the store, the endpoint, the record, and what to do with each outcome. */
  #flightHost(): FlightHost {
    return {
      epoch: () => this.#epoch,
      read: () => this.#view.read(),
      sessions: this.#sessions,
      request: (session, timeoutMs, api) => this.#deps.config.endpoint.refresh(session.refreshToken, this.#context(session.dpop, timeoutMs, this.#apis.grantParameters(api))),
      refusal: (tokens, api) => bindingRefusal(tokens, 'refresh', this.#deps.config) ?? this.#apis.refusal(tokens, api),
      revoke: (refreshToken, dpop, why) => this.#revocations.revoke(refreshToken, dpop, why),
      next: (tokens, session, api) => refreshedRecord(tokens, session, { now: this.#deps.now(), defaultLifetimeMs: this.#deps.config.defaultLifetimeMs }, api),
      ending: (error, session) => this.#view.ending(error, session),
      settle: (outcome) => this.#view.settle(outcome),
    };
  }
}
