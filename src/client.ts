/** BrokerClient: what a page uses to talk to the broker in its service worker. */
import type { Workbox } from 'workbox-window';
import { BrokerTimeoutError, ErrorCode, BrokerError, PROTOCOL, PROTOCOL_VERSION, isAllowedUrl, isBrokerEvent, parseAllowlist } from '../protocol/index.js';
import type { AllowlistEntry, BrokerEvent, BrokerEventType, BrokerMode, FailedCredential, HandoffTokenResult, OkReply, RedirectLoginOptions, RefreshResult, RequestFieldsByType, RequestType, SessionStatus, TokenResult } from '../protocol/index.js';
import { definedParams } from '../protocol/authorization-params.js';
import { hint, isDevelopment } from './hints.js';
import { waitForControl } from './wait-for-control.js';
import type { BrokerTransport } from './transport.js';
import { WorkerTransport, messageTimeouts } from './worker-transport.js';
import { ReplayForwarding } from './replay-forwarding.js';
import { SessionListeners, type BrokerEventHandler, type SessionListener, type SessionSnapshot, type SignOutReason } from './session-listeners.js';
import { resolveRequestUrl } from './request-url.js';
import { HandoffTokens } from './token-cache.js';
import { SessionClock } from './session-clock.js';
import { watchToken } from './token-watch.js';
import { messengers } from './send-through.js';
import { startRedirectCheck, takeLogoutReturn, takeRedirectResult } from './redirect-result.js';
import { loginInPopup, type PopupLoginOptions } from './popup-login.js';

export { DEFAULT_MESSAGE_TIMEOUT_MS } from './worker-transport.js';
export interface BrokerClientOptions {
  /** Bound on each message to the worker, in ms (default 25 s, above the worker's own bounds). */
  timeoutMs?: number;
  /** Re-send a request that is safe to repeat when no reply came for this long, in ms (default 3 s): a worker stopped mid-request never answers. */
  resendAfterMs?: number;
}

export { waitForActive } from './worker-presence.js';
export { STARTING_SNAPSHOT, type BrokerEventHandler, type SessionListener, type SessionSnapshot, type SignOutReason } from './session-listeners.js';
export type { PopupLoginOptions } from './popup-login.js';

/**
 * The page's handle on the broker. It never holds, exposes or logs a refresh token: the
 * worker never sends one, and no method could return one.
 */
export class BrokerClient {
  /** The workbox-window instance, for apps that show update prompts; undefined where the broker runs in the page (`fallback`). */
  readonly workbox: Workbox | undefined;
  /** The worker's registration; undefined where the broker runs in the page (`fallback`). */
  readonly registration: ServiceWorkerRegistration | undefined;
  readonly #transport: BrokerTransport;
  #name = '';
  #mode: BrokerMode = 'handoff';
  #loginKind: 'password' | 'redirect' = 'password';
  #allowlist: AllowlistEntry[] = [];
  /** The snapshot and everyone listening: one registry. */
  readonly #session = new SessionListeners();
  /** The session's deadlines in this tab: the warning, the end, the keep-alive. */
  readonly #clock = new SessionClock({
    status: () => this.status(),
    keepAlive: async () => this.#learn((await this.#send('keepAlive', {})).status),
    expiring: (status, endsAt) => this.#session.event({ protocol: PROTOCOL, v: PROTOCOL_VERSION, broker: this.#name, event: 'session-expiring', status, reason: `The session ends at ${new Date(endsAt).toISOString()}` }),
  });
  /** Handoff: the newest token per API this tab has seen, reused until its `refreshAt`, and whose session each is. */
  readonly #tokens = new HandoffTokens();
  /**
   * The `refresh` messages in flight, by the credential they report: every 401 in this tab
   * for the same token, from any axios instance, shares one. (A report of another token
   * must not join it: its answer would be about the wrong token.)
   */
  #pendingRefresh = new Map<string, Promise<RefreshResult>>();
  /** Firefox and WebKit have no Background Sync: the page tells the worker the network is back. */
  readonly #replays = new ReplayForwarding(() => this.replayQueue());

  /**
   * Use {@link registerTokenBroker}; the constructor does not talk to the broker. Without
   * `transport` it talks to `registration`'s worker.
   */
  constructor(workbox: Workbox | undefined, registration: ServiceWorkerRegistration | undefined, options: BrokerClientOptions = {}, transport?: BrokerTransport) {
    this.workbox = workbox;
    this.registration = registration;
    if (!transport && !registration) throw new TypeError('BrokerClient needs a registration or a transport');
    this.#transport = transport ?? new WorkerTransport(registration!, messageTimeouts(options));
    // The worker unregistered, or a foreign one took its scope: this page's session is over.
    this.#transport.onGone?.(() => {
      this.#tokens.clear();
      const last = this.#session.snapshot.status;
      if (last?.loggedIn) this.#learn({ ...last, loggedIn: false, accessExpiresAt: null, generation: null, refreshRetryAt: null, persisted: null, dpopBound: null, claims: null, session: null });
    });
    messengers.set(this, (type, fields) => this.#send(type, fields));
    this.#transport.listen((data) => this.#receive(data));
  }

  /** The broker's name (its storage namespace). */
  get name(): string {
    return this.#name;
  }
  /** True when the worker keeps writes made offline (`offlineQueue`), as its first answer said. */
  get queuesOffline(): boolean {
    return this.#queuesOffline;
  }
  #queuesOffline = false;
  /**
   * The header the worker's offline queue keys writes with (`Idempotency-Key`), when it does:
   * the interceptors and the fetch wrapper set it on writes to the API, so the key survives
   * the browser dispatching a request to the worker again.
   */
  get idempotencyKeyHeader(): string | undefined {
    return this.#idempotencyKeyHeader;
  }
  #idempotencyKeyHeader: string | undefined;
  /** `handoff` or `sealed`, as the worker is configured. */
  get mode(): BrokerMode {
    return this.#mode;
  }

  /** Pings the worker and learns its name, mode and allowlist. Called by {@link registerTokenBroker}. */
  async connect(): Promise<void> {
    const reply = await this.#send('ping', {});
    this.#name = reply.name;
    this.#mode = reply.mode;
    this.#loginKind = reply.loginKind ?? 'password';
    this.#allowlist = parseAllowlist(reply.apiAllowlist);
    this.#clock.settings = reply.lifetimes;
    this.#tokens.apis = reply.apis;
    if (reply.status) this.#learn(reply.status);
    else await this.status();
    if (typeof reply.queuePending === 'number') {
      this.#queuesOffline = true;
      if (typeof reply.idempotencyKey === 'string' && /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/.test(reply.idempotencyKey)) this.#idempotencyKeyHeader = reply.idempotencyKey;
      // Writes left from an earlier visit go out now, not at the next write or `online`.
      this.#replays.start(reply.queuePending);
    }
  }

  /**
   * Replays the worker's offline queue now (the worker does it by itself on Background
   * Sync, at its start, and on every `online` event of a page). Joins a replay in flight.
   *
   * @returns how many requests still wait (0 when the worker has no offline queue).
   * @throws StorageFailedError when the queue's storage cannot be read.
   */
  async replayQueue(): Promise<{ pending: number }> {
    const reply = await this.#send('replayQueue', {});
    return { pending: reply.pending };
  }

  /** True when `url` may carry the token (the worker's allowlist), resolved as the browser will: against `document.baseURI`. */
  isApiUrl(url: string | URL): boolean {
    return isAllowedUrl(resolveRequestUrl(url), this.#allowlist);
  }

  /**
   * Logs in through the worker. @example await broker.login({ username: 'demo', password: 'demo' })
   * @throws LoginFailedError when the server refuses the credentials; RefreshUnavailableError when it cannot be reached; BrokerTimeoutError.
   */
  async login(credentials: Record<string, string>): Promise<SessionStatus> {
    if (typeof credentials !== 'object' || credentials === null) throw new TypeError('login needs a credentials object');
    this.#tokens.clear();
    const reply = await this.#send('login', { credentials: { ...credentials } });
    return this.#learn(reply.status);
  }

  /** `password` (use `login`) or `redirect` (use `loginWithRedirect`), as the worker's endpoint is configured. */
  get loginKind(): 'password' | 'redirect' {
    return this.#loginKind;
  }

  /**
   * Logs in by redirect (authorization code + PKCE): the worker prepares the request and
   * this page navigates to the provider. The browser comes back to `returnTo` (default:
   * this page) after the worker exchanged the code; call {@link takeRedirectResult} there.
   * `authorizationParams` asks the provider for more (`prompt`, `login_hint`, `ui_locales`,
   * `acr_values`, `max_age` by default): the worker sends only what its config lets pages set.
   * @throws BrokerError `not-supported` when the worker's endpoint logs in with credentials;
   *   `forbidden-parameter` for a parameter the worker does not let pages set (no navigation).
   */
  async loginWithRedirect(options: RedirectLoginOptions = {}): Promise<never> {
    const { returnTo = location.pathname + location.search } = options;
    const authorizationParams = definedParams(options.authorizationParams);
    location.assign((await this.#send('authorize', { returnTo, check: startRedirectCheck(this.#checkKey), ...(authorizationParams ? { authorizationParams } : {}) })).authorizationUrl);
    return new Promise<never>(() => {});
  }

  /**
   * Logs in in a popup (call it from a click handler: browsers block a popup opened later);
   * the worker exchanges the code in the popup as for a redirect. Resolves with the session.
   * @throws BrokerError `popup-blocked`, `popup-closed`, `popup-timeout` (no session changed); LoginFailedError.
   */
  async loginWithPopup(options: PopupLoginOptions = {}): Promise<SessionStatus> {
    await loginInPopup((fields) => this.#send('authorize', fields), options);
    return this.status();
  }

  /**
   * Reads and clears the result of a login by redirect from this page's URL fragment. A
   * result counts only when it carries the one-time value this tab stored when it started
   * the login: a link to `/#sw-token-broker=ok` (or to an error with attacker text) is
   * ignored and cleared.
   *
   * @returns true after a successful login, false when this page is not a return from one.
   * @throws LoginFailedError (state mismatch, replay, error response, refused code) or another BrokerError.
   */
  takeRedirectResult(): boolean {
    takeLogoutReturn(`${this.#checkKey}:logout`);
    return takeRedirectResult(this.#checkKey);
  }

  get #checkKey(): string {
    return `sw-token-broker:redirect-check:${this.#transport.scope}`;
  }

  /**
   * Logs out in every tab; the worker revokes the refresh token where the server supports it.
   * `endSession: true` ends the provider's session too (RP-initiated logout): after the local
   * logout this tab goes to the provider's end-session endpoint, which sends it back to the
   * worker's `postLogoutRedirectUri` (`takeRedirectResult()` there checks and clears its `state`).
   * @throws BrokerError `not-supported` (the local logout done) when the provider has no end-session endpoint.
   */
  async logout(options: { endSession?: boolean } = {}): Promise<SessionStatus> {
    this.#tokens.clear();
    const check = options?.endSession === true ? startRedirectCheck(`${this.#checkKey}:logout`) : undefined;
    const reply = await this.#send('logout', check ? { endSession: true, check } : {});
    const status = this.#learn(reply.status, 'logout');
    if (reply.endSessionUrl) location.assign(reply.endSessionUrl);
    return status;
  }

  /**
   * The provider's userinfo for the session (OpenID): read by the worker with the session's
   * access token, its `sub` checked against the id_token's, kept until logout.
   * @throws `not-supported` (no userinfo endpoint), `session-changed` (an answer for another user), NotLoggedInError.
   */
  async userinfo(): Promise<Record<string, unknown>> {
    return (await this.#send('userinfo', {})).userinfo;
  }

  /** The session state. Never refreshes. */
  async status(): Promise<SessionStatus> {
    return this.#learn((await this.#send('status', {})).status);
  }

  /** The session as this page last learnt it, synchronously; the same object until it changes. */
  getSnapshot = (): SessionSnapshot => this.#session.snapshot;

  /**
   * Calls `listener` after every change of {@link getSnapshot} and after every broker event
   * of any type (with the event): one subscription follows the whole session. Bound, so it
   * can be passed as it is (`useSyncExternalStore(broker.subscribe, broker.getSnapshot)`).
   *
   * @returns a function that unsubscribes.
   */
  subscribe = (listener: SessionListener): (() => void) => {
    if (typeof listener !== 'function') throw new TypeError('subscribe() needs a listener function');
    // An entry per call: subscribing one function twice gives two deliveries and two independent unsubscribes.
    return this.#session.add({ kind: 'session', listener });
  };

  /**
   * Calls `handler` once per sign-out this page sees: by a logout in any tab (`'logout'`) or by
   * the server (`'ended'`). The place to clear cached user data. @returns a function that unsubscribes.
   */
  onSignedOut(handler: (reason: SignOutReason) => void): () => void {
    if (typeof handler !== 'function') throw new TypeError('onSignedOut() needs a handler function');
    return this.#session.add({ kind: 'signed-out', handler });
  }

  /**
   * A valid access token (handoff mode) for a request to `url`: with one token per API (the
   * worker's `apis`), that API's; without a URL, the login's. Kept in page memory until it
   * nears expiry, so steady-state requests cost no round trip; concurrent callers share one message.
   *
   * @throws NotLoggedInError, SessionEndedError, RefreshUnavailableError, BrokerTimeoutError; `not-supported` in sealed mode; `misconfigured` for a URL outside the allowlist.
   */
  async getAccessToken(url?: string | URL): Promise<string> {
    return (await this.#token(url)).accessToken;
  }

  /**
   * Handoff: `listener` gets the access token (for `url`'s API; without one, the login's) now, and
   * each next one before the old expires (one refresh for every tab); `null` when logged out.
   * For WebSockets and SDKs that hold a token. @returns a function that stops it.
   */
  watchToken(listener: (token: string | null) => void, url?: string | URL): () => void {
    if (typeof listener !== 'function') throw new TypeError('watchToken() needs a listener function');
    return watchToken({ token: (fresh) => this.#token(url, fresh), on: (event, handler) => this.on(event, handler) }, listener);
  }

  async #token(url: string | URL | undefined, fresh = false): Promise<HandoffTokenResult> {
    if (this.#mode === 'sealed') throw new BrokerError(ErrorCode.NotSupported, 'In sealed mode the page never holds the access token');
    const target = url === undefined ? undefined : resolveRequestUrl(url);
    const key = this.#tokens.keyFor(target);
    // The session this tab knows of: a worker that finds none can tell a vanished record from a logout.
    const load = () =>
      this.#send('getToken', { session: this.#session.snapshot.status?.session ?? undefined, ...(target ? { url: target.href } : {}) }).then((reply) => {
        const result = this.#remember(reply, key);
        if (result.mode !== 'handoff') throw new BrokerError(ErrorCode.Internal, 'The service worker answered getToken without a token');
        return result;
      });
    // `fresh`: as if the cached token were due.
    return this.#tokens.get(key, fresh ? Infinity : Date.now(), load);
  }

  /**
   * Reports a 401 for the given token (handoff) or generation (sealed) and resolves with the
   * newer token the worker holds or fetched: one refresh message per tab and failed credential.
   * @throws SessionEndedError, RefreshUnavailableError, NotLoggedInError, BrokerTimeoutError.
   */
  reportUnauthorized(failed: FailedCredential): Promise<RefreshResult> {
    const target = failed.url === undefined ? undefined : resolveRequestUrl(failed.url);
    const tokenKey = this.#tokens.keyFor(target);
    const key = `${tokenKey}\n${failed.failedToken !== undefined ? `token:${failed.failedToken}` : `generation:${failed.failedGeneration ?? ''}`}`;
    // Rule 11: the worker answers a report for another session than its own with `session-changed`, never with that session's token.
    const session = failed.session ?? (failed.failedToken !== undefined ? this.#tokens.sessionOf(failed.failedToken) : undefined);
    let pending = this.#pendingRefresh.get(key);
    if (!pending) {
      pending = this.#send('refresh', { failedToken: failed.failedToken, failedGeneration: failed.failedGeneration, session, ...(target ? { url: target.href } : {}) })
        .then((reply) => ({ ...this.#remember(reply, tokenKey), refreshed: reply.refreshed === true }))
        .finally(() => this.#pendingRefresh.delete(key));
      this.#pendingRefresh.set(key, pending);
    }
    return pending;
  }

  /**
   * Handoff with DPoP: the `DPoP` header for one request carrying `accessToken`, signed by the
   * worker (the key never leaves it); undefined when the session's tokens are not bound.
   */
  async dpopProof(method: string, url: string | URL, accessToken: string, nonce?: string): Promise<string | undefined> {
    if (this.#mode === 'sealed' || this.#session.snapshot.status?.dpopBound !== true) return undefined;
    return (await this.#send('dpopProof', { method, url: resolveRequestUrl(url).href, accessToken, ...(nonce ? { nonce } : {}) })).proof;
  }

  /**
   * Subscribes to a broker event from any tab (`login`, `refreshed`, `logged-out`, `session-ended`,
   * the offline queue's `queued`, `replayed`, `dropped`, …). @returns a function that unsubscribes.
   */
  on(event: BrokerEventType, handler: BrokerEventHandler): () => void {
    if (typeof handler !== 'function') throw new TypeError('on() needs a handler function');
    return this.#session.add({ kind: 'event', type: event, handler });
  }

  /**
   * Resolves once the broker's worker controls this page (`wait-for-control.ts`), so its requests
   * are signed or queued; `false` in handoff mode when it stayed uncontrolled (no reload there).
   * @throws ServiceWorkerUnavailableError in sealed mode when the page is still not controlled after a reload.
   */
  async waitForControl(): Promise<boolean> {
    if (!this.registration) return false;
    const controlled = await waitForControl(this.registration, () => this.#send('claim', {}), this.#mode === 'sealed');
    if (!controlled) hint('uncontrolled', 'this page is not controlled by the broker worker (Shift+Reload?): the offline queue does not keep its writes until a normal reload');
    return controlled;
  }

  /** Stops listening to the worker; a later {@link registerTokenBroker} for its script makes a new client. */
  close(): void {
    this.#transport.close();
    this.#replays.stop();
    this.#tokens.clear();
    this.#closed = true;
  }

  #closed = false;
  /** True after {@link close}. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Takes in a status the worker sent (the snapshot, sign-outs: `session-listeners.ts`); a logged-out session drops the cached token. */
  #learn(status: SessionStatus, reason?: SignOutReason, event?: BrokerEvent): SessionStatus {
    if (this.#session.learn(status, reason, event)) this.#tokens.clear();
    this.#clock.update(status);
    return status;
  }

  #remember(reply: TokenResult, key: string): TokenResult {
    return this.#tokens.fromReply(reply, key);
  }

  #receive(data: unknown): void {
    if (!isBrokerEvent(data) || data.broker !== this.#name) return;
    if (data.event === 'logged-out' || data.event === 'session-ended' || data.event === 'login') this.#tokens.clear();
    // A logout that left the refresh token live at the server is worth a word in development.
    if (data.event === 'revocation-failed' && isDevelopment()) hint(`revocation-failed:${data.details?.url ?? ''}`, data.reason ?? 'the refresh token was not revoked');
    const copy: BrokerEvent = { ...data, status: { ...data.status } };
    this.#session.event(copy);
    const reason = data.event === 'logged-out' ? 'logout' : data.event === 'session-ended' ? 'ended' : undefined;
    if (typeof data.status === 'object' && data.status !== null) this.#learn(data.status, reason, copy);
  }

  #send<T extends RequestType>(type: T, fields: RequestFieldsByType[T]): Promise<OkReply<T>> {
    return this.#transport.send(type, fields);
  }
}
