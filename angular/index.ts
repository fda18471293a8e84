/**
 * sw-token-broker/angular: the broker in Angular (21) apps, for `HttpClient` on either of its
 * backends (XHR, or `withFetch()`).
 *
 * `provideTokenBroker({ scriptUrl })` registers the worker once, before the app starts (an app
 * initializer: the first requests carry the token), and provides {@link TokenBrokerSession},
 * the session as signals. {@link tokenBrokerInterceptor} puts the token on requests to the
 * worker's API allowlist (nothing elsewhere) and, on a 401, asks the broker for a newer token
 * (one refresh, shared by every tab) and retries once.
 *
 * @example
 * bootstrapApplication(App, {
 *   providers: [provideTokenBroker({ scriptUrl: '/sw.js' }), provideHttpClient(withInterceptors([tokenBrokerInterceptor]))],
 * });
 */
import { computed, inject, makeEnvironmentProviders, provideAppInitializer, signal, type EnvironmentProviders, type Signal } from '@angular/core';
import type { HttpErrorResponse, HttpInterceptorFn, HttpRequest } from '@angular/common/http';
import { catchError, defer, from, switchMap, throwError } from 'rxjs';
import { registerTokenBroker, sessionStore, type BrokerClient, type RegisterOptions, type SessionView, type SignOutReason } from 'sw-token-broker';
import { credentialHeaders, stepUpErrorFor, takeDpopNonce, tokenAfterUnauthorized, tokenToSend } from '../src/handoff-token.js';
import { idempotencyKeyFor } from '../src/idempotency-key.js';

export interface TokenBrokerConfig {
  /** The worker script, as for `registerTokenBroker`. */
  scriptUrl: string;
  /** Options for `registerTokenBroker` (scope, type, timeouts, fallback). */
  options?: RegisterOptions;
  /** Called once per sign-out, in every tab: `'logout'` (any tab) or `'ended'` (by the server). Clear cached user data here. */
  onSignedOut?: (reason: SignOutReason) => void;
  /** Called in every tab, once, before an end nothing will move (`session-expiring`), with when it ends (epoch ms). */
  onSessionExpiring?: (endsAt: number) => void;
  /** Statuses that mean "token rejected" (default `[401]`). */
  statusCodes?: number[];
}

/**
 * The session as signals, and its actions: `inject(TokenBrokerSession)`. The signals change
 * only when the session does (logged in or out, another session, other claims), not at every
 * refresh. A failed start is `state() === 'error'`, with `error()`: the app still starts.
 */
export class TokenBrokerSession {
  /** `starting`, `logged-in`, `logged-out`, or `error` when the broker could not start. */
  readonly state: Signal<SessionView['state']>;
  /** The id_token's claims, when the provider gave one. */
  readonly claims: Signal<Record<string, unknown> | null>;
  /** Which session (`sub:…` or `sid:…`): another after a new login, the same across refreshes. */
  readonly session: Signal<string | null>;
  /** Why the broker could not start (a `BrokerError`, typically `sw-unavailable`), else null. */
  readonly error: Signal<unknown>;
  /** Settles with the client once registered, or with null when it could not start; never rejects. */
  readonly ready: Promise<BrokerClient | null>;
  /** Statuses that mean "token rejected", for the interceptor. */
  readonly statusCodes: readonly number[];
  #client: BrokerClient | null = null;
  readonly #started: Promise<BrokerClient>;

  constructor(config: TokenBrokerConfig) {
    if (typeof config?.scriptUrl !== 'string' || config.scriptUrl === '') throw new TypeError('provideTokenBroker needs the worker script URL (scriptUrl)');
    this.statusCodes = config.statusCodes ?? [401];
    // During server rendering nothing registers: the session stays `starting`.
    this.#started =
      typeof window === 'undefined'
        ? new Promise<BrokerClient>(() => {})
        : registerTokenBroker(config.scriptUrl, config.options).then((client) => {
            if (config.onSignedOut) client.onSignedOut(config.onSignedOut);
            const { onSessionExpiring } = config;
            if (onSessionExpiring) client.on('session-expiring', (event) => onSessionExpiring(event.status.sessionExpiresAt ?? Date.now()));
            this.#client = client;
            return client;
          });
    this.ready = this.#started.then(
      (client) => client,
      () => null,
    );
    const view = signal<SessionView>({ state: 'starting', session: null, claims: null, error: null });
    sessionStore(this.#started).subscribe((next) => view.set(next));
    this.state = computed(() => view().state);
    this.claims = computed(() => view().claims);
    this.session = computed(() => view().session);
    this.error = computed(() => view().error);
  }

  /** The client once ready, else null. */
  get client(): BrokerClient | null {
    return this.#client;
  }

  login: BrokerClient['login'] = async (credentials) => (await this.#need()).login(credentials);
  loginWithRedirect: BrokerClient['loginWithRedirect'] = async (options) => (await this.#need()).loginWithRedirect(options);
  /** Call it from a click handler (browsers block a popup opened later). */
  loginWithPopup: BrokerClient['loginWithPopup'] = (options) => (this.#client ? this.#client.loginWithPopup(options) : this.#need().then((client) => client.loginWithPopup(options)));
  logout: BrokerClient['logout'] = async (options) => (await this.#need()).logout(options);

  /** Calls `handler` once per sign-out until the returned function is called (from `DestroyRef.onDestroy`, say). */
  onSignedOut(handler: (reason: SignOutReason) => void): () => void {
    let off: (() => void) | undefined;
    let removed = false;
    void this.ready.then((client) => {
      if (client && !removed) off = client.onSignedOut(handler);
    });
    return () => {
      removed = true;
      off?.();
    };
  }

  /** The client, or the reason it could not start. */
  #need(): Promise<BrokerClient> {
    return this.#started;
  }
}

/** Registers the broker before the app starts and provides {@link TokenBrokerSession}. */
export function provideTokenBroker(config: TokenBrokerConfig): EnvironmentProviders {
  return makeEnvironmentProviders([
    { provide: TokenBrokerSession, useFactory: () => new TokenBrokerSession(config) },
    // The app starts once the broker answered (or failed: then `state` is `error`), so no request goes out before it.
    provideAppInitializer(() => inject(TokenBrokerSession).ready.then(() => undefined)),
  ]);
}

/**
 * `HttpClient`'s interceptor: the broker's token on requests to the worker's API allowlist
 * (judged on the URL the request really uses), one shared refresh and one retry on a 401,
 * and nothing at all on other URLs. In sealed mode the worker does all of it: requests pass.
 */
export const tokenBrokerInterceptor: HttpInterceptorFn = (request, next) => {
  const session = inject(TokenBrokerSession, { optional: true });
  const broker = session?.client;
  if (!session || !broker) return next(request);
  const url = new URL(request.urlWithParams, document.baseURI);
  if (!broker.isApiUrl(url) || broker.mode === 'sealed' || request.headers.has('Authorization')) return next(request);
  return defer(() => from(signed(broker, withKey(broker, request), url, tokenToSend(broker, url)))).pipe(
    switchMap(({ request: sent, token }) =>
      next(sent).pipe(
        catchError((failure: unknown) => {
          const response = failure as HttpErrorResponse;
          if (!session.statusCodes.includes(response?.status)) return throwError(() => failure);
          return defer(() => from(afterUnauthorized(broker, sent, url, token, response))).pipe(switchMap((retry) => next(retry)));
        }),
      ),
    ),
  );
};

/** The idempotency key the worker's offline queue keys writes with, set once per request. */
function withKey(broker: BrokerClient, request: HttpRequest<unknown>): HttpRequest<unknown> {
  const keyed = idempotencyKeyFor(broker, request.method, (header) => request.headers.has(header));
  return keyed ? request.clone({ setHeaders: { [keyed.header]: keyed.key } }) : request;
}

/** `request` with the token's headers (none when logged out: it goes bare and the server decides). */
async function signed(broker: BrokerClient, request: HttpRequest<unknown>, url: URL, pending: Promise<string | undefined>): Promise<{ request: HttpRequest<unknown>; token: string | undefined }> {
  const token = await pending;
  if (token === undefined) return { request, token };
  return { request: request.clone({ setHeaders: await credentialHeaders(broker, request.method, url, token) }), token };
}

/** After a 401: a step-up is its typed error; a DPoP nonce challenge is answered once; else one refresh (shared) and the request once more. */
async function afterUnauthorized(broker: BrokerClient, sent: HttpRequest<unknown>, url: URL, token: string | undefined, response: HttpErrorResponse): Promise<HttpRequest<unknown>> {
  const stepUp = await stepUpErrorFor(response.status, response.headers?.get('www-authenticate'), response);
  if (stepUp) throw stepUp;
  if (token !== undefined && takeDpopNonce(broker, url, response.status, { get: (name) => response.headers?.get(name) })) {
    return sent.clone({ setHeaders: await credentialHeaders(broker, sent.method, url, token) });
  }
  const next = await tokenAfterUnauthorized(broker, token, url);
  return next.token === undefined ? sent : sent.clone({ setHeaders: await credentialHeaders(broker, sent.method, url, next.token) });
}
