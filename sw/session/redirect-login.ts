/**
 * Login by redirect (authorization code + PKCE): the worker keeps state, nonce and verifier in
 * its store (a worker restart during the redirect loses nothing), and each state is used once.
 */
import { BrokerError, ErrorCode, LoginFailedError, StorageFailedError, isBrokerError } from '../../protocol/index.js';
import type { EndpointContext, RedirectLogin, TokenSet } from '../adapters/types.js';
import type { AuthorizationParams } from '../authorization-params.js';
import type { DpopKey } from '../dpop.js';
import type { SessionStore } from '../store.js';

/** How long a login by redirect may take, from start to callback. */
const PENDING_LOGIN_TTL_MS = 10 * 60 * 1000;
/** Pending logins kept at most: a page that starts logins in a loop cannot fill the store. */
const MAX_PENDING_LOGINS = 10;

export interface RedirectLoginDependencies {
  redirect: RedirectLogin | undefined;
  store: Pick<SessionStore, 'savePending' | 'takePending' | 'listPending' | 'deletePending'>;
  now: () => number;
  context: (dpop?: DpopKey) => EndpointContext;
  newDpopKey: () => Promise<DpopKey | undefined>;
  /** Stores the session the code was exchanged for, and tells every tab (the broker's login). */
  storeLogin: (tokens: TokenSet, dpop: DpopKey | undefined) => Promise<unknown>;
}

/** How a login starts: the page's one-time value, what it asks the provider for, and whether it runs in a popup. */
export interface RedirectStart {
  check?: string;
  authorizationParams?: AuthorizationParams;
  /** The login runs in a popup: its callback ends on a page the worker answers, which the opener reads. */
  popup?: boolean;
}

/** Where a finished login sends the browser, and how it went. */
export interface RedirectFinish {
  returnTo: string;
  check?: string;
  error?: BrokerError;
  popup?: boolean;
}

export class RedirectLogins {
  readonly #deps: RedirectLoginDependencies;

  constructor(deps: RedirectLoginDependencies) {
    this.#deps = deps;
  }

  /**
   * Starts a login: keeps its state and returns the authorization URL for the page to navigate to.
   *
   * @throws BrokerError `not-supported` when the endpoint has no redirect login, `forbidden-parameter` for a parameter a page may not set; StorageFailedError; RefreshUnavailableError.
   */
  async start(returnTo: string, { check, authorizationParams, popup }: RedirectStart = {}): Promise<string> {
    const { redirect, store, now, context } = this.#deps;
    if (!redirect) throw new BrokerError(ErrorCode.NotSupported, 'This token endpoint logs in with credentials, not a redirect');
    // A parameter the config does not allow rejects here: nothing is kept, nothing reaches the provider.
    const { authorizationUrl, pending } = await redirect.start(context(), authorizationParams);
    await this.#prune(MAX_PENDING_LOGINS - 1);
    try {
      await store.savePending({ ...pending, returnTo, check, createdAt: now(), ...(popup ? { popup } : {}) });
    } catch (error) {
      throw new StorageFailedError('The login could not be started: its state could not be written to storage', { cause: error });
    }
    return authorizationUrl;
  }

  /** Deletes expired pending logins and the oldest beyond `keep`. */
  async #prune(keep: number): Promise<void> {
    const { store, now } = this.#deps;
    const pending = (await store.listPending()).sort((a, b) => b.createdAt - a.createdAt);
    const stale = pending.filter((login, index) => index >= keep || now() - login.createdAt > PENDING_LOGIN_TTL_MS);
    await Promise.all(stale.map((login) => store.deletePending(login.state)));
  }

  /**
   * Finishes a login when the browser comes back to the callback URL: checks the state
   * against a pending login (each is used once), exchanges the code, stores the session.
   * Returns where to send the browser, and the error if any; never rejects.
   */
  async finish(callback: URL, fallbackReturnTo: string): Promise<RedirectFinish> {
    const { redirect, store, now, context, newDpopKey, storeLogin } = this.#deps;
    const state = callback.searchParams.get('state');
    const pending = state && state.length <= 256 ? await store.takePending(state) : undefined;
    if (!redirect || !pending) {
      return { returnTo: fallbackReturnTo, error: new LoginFailedError('Unknown or already used login state (a replayed or forged callback)') };
    }
    const { returnTo, check } = pending;
    const popup = pending.popup === true ? { popup: true } : {};
    if (now() - pending.createdAt > PENDING_LOGIN_TTL_MS) {
      return { returnTo, check, ...popup, error: new LoginFailedError('The login took too long; start it again') };
    }
    try {
      const dpop = await newDpopKey();
      await storeLogin(await redirect.finish(callback, pending, context(dpop)), dpop);
      return { returnTo, check, ...popup };
    } catch (error) {
      return { returnTo, check, ...popup, error: isBrokerError(error) ? error : new LoginFailedError('The login could not be completed', { cause: error }) };
    }
  }
}
