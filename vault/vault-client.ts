/**
 * Vault mode, the app's side: the session lives on another origin (the vault), in a hidden
 * iframe whose own service worker holds the tokens. This page never has a token in any
 * realm: it sends request descriptions to the vault frame, which makes them with the token
 * added by its worker, and gets the responses back.
 */
import { startRedirectCheck, takeRedirectResult } from '../src/redirect-result.js';
import {
  BrokerTimeoutError,
  redirectResultFragment,
  VAULT_CALLBACK_KEY,
  VAULT_PROTOCOL,
  VAULT_PROTOCOL_VERSION,
  VaultUnavailableError,
  errorFromWire,
  type SessionStatus,
  type VaultCall,
  type VaultConnect,
  type VaultConnected,
  type VaultReply,
  type VaultRequest,
  type VaultResponse,
  type VaultResultByType,
  type RedirectLoginOptions,
} from '../protocol/index.js';
import { definedParams } from '../protocol/authorization-params.js';

/** How long openVault waits for the frame to load and connect. */
export const DEFAULT_VAULT_CONNECT_TIMEOUT_MS = 10_000;

export interface VaultOptions {
  /** How long the frame may take to load and connect (default 10 s). */
  connectTimeoutMs?: number;
  /** How long one call may take (default 30 s: a request may wait for a refresh). */
  timeoutMs?: number;
}

/** Statuses whose responses have no body (the Response constructor refuses one). */
const NULL_BODY = new Set([101, 204, 205, 304]);

/** The app's handle on the vault: login, logout, status, and requests made from the vault. */
export class VaultClient {
  readonly mode = 'vault' as const;
  /** The vault's origin. */
  readonly origin: string;
  /** `password` (use `login`) or `redirect` (use `loginWithRedirect`), as the vault's worker is configured. */
  readonly loginKind: 'password' | 'redirect';
  readonly #frame: HTMLIFrameElement;
  readonly #port: MessagePort;
  readonly #timeoutMs: number;
  readonly #pending = new Map<string, (reply: VaultReply) => void>();
  #next = 0;

  /** Use {@link openVault}. */
  constructor(frame: HTMLIFrameElement, port: MessagePort, origin: string, loginKind: 'password' | 'redirect', timeoutMs: number) {
    this.#frame = frame;
    this.#port = port;
    this.origin = origin;
    this.loginKind = loginKind;
    this.#timeoutMs = timeoutMs;
    port.onmessage = (event: MessageEvent<VaultReply>) => this.#pending.get(event.data?.id)?.(event.data);
  }

  /** Logs in through the vault (credentials go to the vault's worker, which calls the token endpoint). */
  login(credentials: Record<string, string>): Promise<SessionStatus> {
    return this.#call({ type: 'login', credentials });
  }

  /**
   * Logs in by redirect (authorization code + PKCE) through the vault: the vault's worker
   * prepares the request, this page navigates to the provider, the provider sends the
   * browser back to the vault's callback (where the worker exchanges the code), and the
   * vault sends it on to `returnTo` (default: this page). Call {@link takeRedirectResult} there.
   *
   * @param options.returnTo an absolute URL or a path on this page's origin.
   * @param options.authorizationParams asked of the provider; the vault's worker sends only what its config lets pages set.
   * @throws BrokerError `not-supported` when the vault's worker logs in with credentials; `forbidden-parameter`.
   */
  async loginWithRedirect(options: RedirectLoginOptions = {}): Promise<never> {
    const returnTo = new URL(options.returnTo ?? location.href, location.href);
    const { authorizationUrl } = await this.#call({ type: 'authorize', returnTo: returnTo.href, check: startRedirectCheck(this.#checkKey), ...(definedParams(options.authorizationParams) ? { authorizationParams: definedParams(options.authorizationParams) } : {}) });
    location.assign(authorizationUrl);
    return new Promise<never>(() => {});
  }

  /**
   * Reads and clears the result of a login by redirect from this page's URL fragment; only
   * a result carrying the one-time value this tab kept when it started the login counts.
   * In WebKit the vault's callback comes back here instead (its top-level page is outside
   * the vault frame's partition): this passes it to the vault, whose worker finishes the
   * login, then continues to the page that started it if that is another one.
   *
   * @returns true after a successful login, false when this page is not a return from one.
   * @throws LoginFailedError (state mismatch, replay, error response, refused code) or another BrokerError.
   */
  async takeRedirectResult(): Promise<boolean> {
    const callbackSearch = new URLSearchParams(location.hash.slice(1)).get(VAULT_CALLBACK_KEY);
    if (callbackSearch === null) return takeRedirectResult(this.#checkKey);
    history.replaceState(history.state, '', location.pathname + location.search);
    const { returnTo, check, error } = await this.#call({ type: 'finishLogin', callbackSearch });
    const result = redirectResultFragment(error, check);
    const here = location.href.split('#')[0];
    if (returnTo && returnTo !== here && new URL(returnTo).origin === location.origin) {
      // The login started on another page of the app: finish there, as the vault would have sent it.
      location.replace(`${returnTo}#${result}`);
      return new Promise<never>(() => {});
    }
    history.replaceState(history.state, '', `${here}#${result}`);
    return takeRedirectResult(this.#checkKey);
  }

  get #checkKey(): string {
    return `sw-token-broker:vault-redirect-check:${this.origin}`;
  }

  logout(): Promise<SessionStatus> {
    return this.#call({ type: 'logout' });
  }
  status(): Promise<SessionStatus> {
    return this.#call({ type: 'status' });
  }
  /** Makes an API request from the vault (the worker adds the token, refreshes on a 401 and retries once). */
  request(request: VaultRequest): Promise<VaultResponse> {
    return this.#call({ type: 'request', request });
  }
  /** Removes the frame; calls after this time out. */
  close(): void {
    this.#port.close();
    this.#frame.remove();
  }

  #call<T extends VaultCall['type']>(call: VaultCall & { type: T }): Promise<VaultResultByType[T]> {
    const id = `v${++this.#next}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new BrokerTimeoutError(`The vault did not answer ${call.type} within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#pending.set(id, (reply) => {
        clearTimeout(timer);
        this.#pending.delete(id);
        if (reply.ok) resolve(reply.result as VaultResultByType[T]);
        else reject(errorFromWire(reply.error));
      });
      this.#port.postMessage({ ...call, id });
    });
  }
}

/**
 * Loads the vault frame (hidden) and connects to it. Never falls back to this origin: when
 * the frame is blocked, missing, or refuses this origin, it rejects.
 *
 * @throws VaultUnavailableError when the vault does not answer in time or refuses; another BrokerError when its worker cannot start.
 * @example const vault = await openVault('https://vault.example.com/vault/');
 */
export function openVault(vaultUrl: string, options: VaultOptions = {}): Promise<VaultClient> {
  const url = new URL(vaultUrl, document.baseURI);
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_VAULT_CONNECT_TIMEOUT_MS;
  const frame = document.createElement('iframe');
  frame.src = url.href;
  frame.title = 'sw-token-broker vault';
  frame.setAttribute('aria-hidden', 'true');
  frame.style.cssText = 'position:absolute;width:0;height:0;border:0;visibility:hidden';
  return new Promise<VaultClient>((resolve, reject) => {
    const channel = new MessageChannel();
    const fail = (error: Error) => {
      clearTimeout(timer);
      window.removeEventListener('message', onHello);
      channel.port1.close();
      frame.remove();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new VaultUnavailableError(`The vault at ${url.origin} did not answer within ${connectTimeoutMs} ms: blocked (frame-src, X-Frame-Options, frame-ancestors), a wrong URL, or this origin (${location.origin}) is not in its appOrigins`)),
      connectTimeoutMs,
    );
    channel.port1.onmessage = (event: MessageEvent<VaultConnected>) => {
      if (event.data?.type === 'ready') {
        clearTimeout(timer);
        resolve(new VaultClient(frame, channel.port1, url.origin, event.data.loginKind, options.timeoutMs ?? 30_000));
      } else if (event.data?.type === 'refused') fail(errorFromWire(event.data.error));
    };
    // The frame says hello when it listens (only to an origin it serves); then this page connects.
    const onHello = (event: MessageEvent) => {
      if (event.source !== frame.contentWindow || event.origin !== url.origin) return;
      const data = event.data as { protocol?: unknown; type?: unknown } | null;
      if (data?.protocol !== VAULT_PROTOCOL || data.type !== 'hello') return;
      window.removeEventListener('message', onHello);
      frame.contentWindow?.postMessage({ protocol: VAULT_PROTOCOL, v: VAULT_PROTOCOL_VERSION, type: 'connect' } satisfies VaultConnect, url.origin, [channel.port2]);
    };
    window.addEventListener('message', onHello);
    document.body.append(frame);
  });
}

/**
 * A `fetch` whose requests the vault makes: for axios (`adapter: 'fetch', env: { fetch }`,
 * axios versions whose fetch adapter takes `env.fetch`), ky, ofetch or your own code. Text
 * bodies only; a redirect answer is a network error (the vault never follows one).
 */
export function createVaultFetch(vault: Pick<VaultClient, 'request'>): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const body = request.body === null || request.method === 'GET' || request.method === 'HEAD' ? null : await request.text();
    const answer = await vault.request({ method: request.method, url: request.url, headers: Object.fromEntries(request.headers), body });
    // Status 0: a network failure or a redirect answer in the vault (its statusText says which); fetch rejects.
    if (answer.status === 0) throw new TypeError(answer.statusText || 'The vault could not make the request');
    return new Response(NULL_BODY.has(answer.status) ? null : answer.body, { status: answer.status, statusText: answer.statusText, headers: answer.headers });
  };
}
