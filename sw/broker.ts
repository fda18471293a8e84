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
  SessionEndedError,
  isBrokerError,
  type BrokerEventType,
  type FailedCredential,
  type HandoffTokenResult,
  type SessionStatus,
  type TokenResult,
} from '../protocol/index.js';
import type { EndpointContext, TokenSet } from './adapters/types.js';
import type { ResolvedTokenBrokerConfig } from './config.js';
import { generateDpopKey, type DpopKey } from './dpop.js';
import { accessExpiry, refreshDueAt } from './expiry.js';
import type { LockRunner } from './lock.js';
import { SESSION_VERSION, type SessionStore, type StoredSession } from './store.js';

/** How long a login by redirect may take, from start to callback. */
const PENDING_LOGIN_TTL_MS = 10 * 60 * 1000;

/** Tells every tab of the origin about a session change. */
export type Notify = (event: BrokerEventType, status: SessionStatus, reason?: string) => void | Promise<void>;

/** What a broker works with; `installTokenBroker` wires the real ones, tests inject their own. */
export interface BrokerDependencies {
  config: ResolvedTokenBrokerConfig;
  name: string;
  store: SessionStore;
  locks: LockRunner;
  notify: Notify;
  fetch: typeof fetch;
  now: () => number;
}

/**
 * One broker's sessions: login (by credentials or by redirect), tokens refreshed ahead of
 * expiry, 401 reports, logout. Every refresh goes through {@link TokenBroker.refresh} or
 * {@link TokenBroker.getToken} into one shared, locked refresh.
 */
export class TokenBroker {
  /** The storage namespace (and lock name) of this broker. */
  readonly name: string;
  readonly #deps: BrokerDependencies;
  #inFlight: Promise<StoredSession> | undefined;
  #sealedCache: StoredSession | undefined;

  constructor(deps: BrokerDependencies) {
    this.#deps = deps;
    this.name = deps.name;
  }

  get #lockName(): string {
    return `sw-token-broker:${this.name}`;
  }

  #context(dpop?: DpopKey): EndpointContext {
    return { fetch: this.#deps.fetch, timeoutMs: this.#deps.config.requestTimeoutMs, dpop };
  }

  /** A new session gets a new DPoP key; none without DPoP. */
  async #newDpopKey(): Promise<DpopKey | undefined> {
    return this.#deps.config.dpop ? generateDpopKey() : undefined;
  }

  /** The session state any page may see. Never refreshes. */
  async status(): Promise<SessionStatus> {
    return this.#statusOf(await this.#deps.store.read());
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
    return this.#storeLogin(tokens, dpop);
  }

  async #storeLogin(tokens: TokenSet, dpop: DpopKey | undefined): Promise<SessionStatus> {
    if (!tokens.refreshToken) throw new LoginFailedError('The server logged in but issued no refresh token');
    const refreshToken = tokens.refreshToken;
    const session = await this.#deps.locks(this.#lockName, this.#deps.config.lockTimeoutMs, async () => {
      const previous = await this.#deps.store.read();
      const next = this.#sessionFrom(tokens, refreshToken, (previous?.generation ?? 0) + 1, dpop);
      await this.#deps.store.write(next);
      return next;
    });
    this.#sealedCache = undefined;
    const status = this.#statusOf(session);
    await this.#deps.notify('login', status);
    return status;
  }

  /**
   * A valid access token, refreshed first when it is within the skew of its expiry.
   *
   * @throws NotLoggedInError, SessionEndedError, RefreshUnavailableError; BrokerError `not-supported` in sealed mode.
   */
  async getToken(): Promise<HandoffTokenResult> {
    if (this.#deps.config.mode === 'sealed') throw new BrokerError(ErrorCode.NotSupported, 'In sealed mode the worker never hands out the access token');
    const session = await this.#validSession();
    return { mode: 'handoff', accessToken: session.accessToken, ...this.#timing(session) };
  }

  /**
   * The access token for the sealed-mode fetch handler: never leaves the worker. Cached in
   * memory until it is due, so signing a request costs no IndexedDB read.
   *
   * @throws NotLoggedInError, SessionEndedError, RefreshUnavailableError.
   */
  async sealedToken(): Promise<{ accessToken: string; generation: number; dpop?: DpopKey }> {
    const cached = this.#sealedCache;
    if (cached && !this.#isDue(cached)) return cached;
    this.#sealedCache = await this.#validSession();
    return this.#sealedCache;
  }

  /** The stored session, refreshed first when it is within the skew of its expiry. */
  async #validSession(): Promise<StoredSession> {
    const session = await this.#deps.store.read();
    if (!session) throw new NotLoggedInError();
    return this.#isDue(session) ? this.#refreshShared((current) => this.#isDue(current)) : session;
  }

  /**
   * Handles a 401: refreshes only if the failed credential is still the current one;
   * a stale 401 gets the newer token the worker already holds.
   *
   * @throws NotLoggedInError, SessionEndedError, RefreshUnavailableError.
   */
  async refresh(failed: FailedCredential): Promise<TokenResult> {
    const isCurrent = (session: StoredSession) => {
      if (failed.failedToken !== undefined) return session.accessToken === failed.failedToken;
      if (failed.failedGeneration !== undefined) return session.generation === failed.failedGeneration;
      return true;
    };
    const session = await this.#deps.store.read();
    // A 401 for a token of a session that has since ended: tell the page so, not "log in first".
    if (!session) throw failed.failedToken !== undefined || failed.failedGeneration !== undefined ? new SessionEndedError() : new NotLoggedInError();
    if (!isCurrent(session)) return this.#tokenResult(session);
    return this.#tokenResult(await this.#refreshShared(isCurrent));
  }

  /**
   * Starts a login by redirect: keeps state, nonce and PKCE verifier in the store and
   * returns the authorization URL for the page to navigate to.
   *
   * @throws BrokerError `not-supported` when the endpoint has no redirect login; RefreshUnavailableError.
   */
  async startRedirectLogin(returnTo: string): Promise<string> {
    const redirect = this.#deps.config.endpoint.redirectLogin;
    if (!redirect) throw new BrokerError(ErrorCode.NotSupported, 'This token endpoint logs in with credentials, not a redirect');
    const { authorizationUrl, pending } = await redirect.start(this.#context());
    await this.#deps.store.savePending({ ...pending, returnTo, createdAt: this.#deps.now() });
    return authorizationUrl;
  }

  /**
   * Finishes a login by redirect when the browser comes back to the callback URL: checks
   * the state against a pending login (each is used once), exchanges the code, stores the
   * session and tells every tab. Returns where to send the browser, and the error if any.
   */
  async finishRedirectLogin(callback: URL, fallbackReturnTo: string): Promise<{ returnTo: string; error?: BrokerError }> {
    const redirect = this.#deps.config.endpoint.redirectLogin;
    const state = callback.searchParams.get('state');
    const pending = state && state.length <= 256 ? await this.#deps.store.takePending(state) : undefined;
    if (!redirect || !pending) {
      return { returnTo: fallbackReturnTo, error: new LoginFailedError('Unknown or already used login state (a replayed or forged callback)') };
    }
    if (this.#deps.now() - pending.createdAt > PENDING_LOGIN_TTL_MS) {
      return { returnTo: pending.returnTo, error: new LoginFailedError('The login took too long; start it again') };
    }
    try {
      const dpop = await this.#newDpopKey();
      const tokens = await redirect.finish(callback, pending, this.#context(dpop));
      await this.#storeLogin(tokens, dpop);
      return { returnTo: pending.returnTo };
    } catch (error) {
      return {
        returnTo: pending.returnTo,
        error: isBrokerError(error) ? error : new LoginFailedError('The login could not be completed', { cause: error }),
      };
    }
  }

  /** Revokes the refresh token where the endpoint supports it, clears the session and tells every tab. */
  async logout(): Promise<SessionStatus> {
    await this.#deps.locks(this.#lockName, this.#deps.config.lockTimeoutMs, async () => {
      const session = await this.#deps.store.read();
      // Clear first: a dead revocation endpoint must not keep the user logged in.
      await this.#deps.store.clear();
      if (session && this.#deps.config.endpoint.revoke) {
        try {
          await this.#deps.config.endpoint.revoke(session.refreshToken, this.#context(session.dpop));
        } catch {
          // Revocation is best effort (RFC 7009 §2.2); the token is gone from this browser either way.
        }
      }
    });
    this.#sealedCache = undefined;
    const status = this.#statusOf(undefined);
    await this.#deps.notify('logged-out', status);
    return status;
  }

  /** Joins the refresh in flight in this worker, or starts one. */
  #refreshShared(stillNeeded: (session: StoredSession) => boolean): Promise<StoredSession> {
    this.#inFlight ??= this.#refreshUnderLock(stillNeeded).finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #refreshUnderLock(stillNeeded: (session: StoredSession) => boolean): Promise<StoredSession> {
    let ended: SessionEndedError | undefined;
    const refreshed = await this.#deps.locks(this.#lockName, this.#deps.config.lockTimeoutMs, async () => {
      // Re-read under the lock: another worker version may have refreshed meanwhile.
      const session = await this.#deps.store.read();
      if (!session) throw new NotLoggedInError();
      if (!stillNeeded(session)) return undefined;
      let tokens: TokenSet;
      try {
        tokens = await this.#deps.config.endpoint.refresh(session.refreshToken, this.#context(session.dpop));
      } catch (error) {
        if (isBrokerError(error) && error.code === 'session-ended') {
          await this.#deps.store.clear();
          ended = error as SessionEndedError;
          throw error;
        }
        if (isBrokerError(error)) throw error;
        throw new RefreshUnavailableError('The refresh failed unexpectedly', { cause: error });
      }
      const next = this.#sessionFrom(tokens, tokens.refreshToken ?? session.refreshToken, session.generation + 1, session.dpop);
      // The rotated refresh token is durable before any page sees the new access token.
      try {
        await this.#deps.store.write(next);
      } catch (error) {
        throw new RefreshUnavailableError('The refreshed session could not be stored; no token was handed out', { cause: error });
      }
      return next;
    })
      .catch(async (error: unknown) => {
        if (ended) await this.#deps.notify('session-ended', this.#statusOf(undefined), ended.message);
        throw error;
      })
      .finally(() => (this.#sealedCache = undefined));
    if (refreshed === undefined) {
      const current = await this.#deps.store.read();
      if (!current) throw new NotLoggedInError();
      return current;
    }
    await this.#deps.notify('refreshed', this.#statusOf(refreshed));
    return refreshed;
  }

  #sessionFrom(tokens: TokenSet, refreshToken: string, generation: number, dpop: DpopKey | undefined): StoredSession {
    const now = this.#deps.now();
    return {
      dpop,
      version: SESSION_VERSION,
      refreshToken,
      accessToken: tokens.accessToken,
      accessIssuedAt: now,
      accessExpiresAt: accessExpiry(now, tokens.accessToken, tokens.expiresInSeconds, this.#deps.config.defaultLifetimeMs),
      generation,
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
    return { accessExpiresAt: session.accessExpiresAt, refreshAt: this.#refreshAt(session), generation: session.generation };
  }

  #statusOf(session: StoredSession | undefined): SessionStatus {
    return {
      loggedIn: session !== undefined,
      accessExpiresAt: session?.accessExpiresAt ?? null,
      generation: session?.generation ?? null,
      mode: this.#deps.config.mode,
    };
  }
}
