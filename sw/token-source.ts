/**
 * What features need of the broker, as narrow types: sealed signing and the offline queue
 * sign requests and report 401s; the login callback finishes a login. They depend on these,
 * not on the broker class, so no feature imports the broker and the broker imports none.
 */
import type { BrokerError, FailedCredential, RefreshResult } from '../protocol/index.js';
import type { DpopKey } from './dpop.js';

/** The access token a signed request carries: never leaves the worker. */
export interface SealedToken {
  accessToken: string;
  generation: number;
  /** The session's DPoP key, when its tokens are bound to it. */
  dpop?: DpopKey;
  /** The identity of the token's session (rule 11). */
  session?: string;
}

/** Signs requests and reports their 401s (`TokenBroker.sealedToken`, `TokenBroker.refresh`). */
export interface TokenSource {
  /** The token a request to `url` carries (its API's, or the login's). */
  sealedToken(url?: string): Promise<SealedToken & { session: string }>;
  refresh(failed: FailedCredential): Promise<RefreshResult>;
}

/** What the offline queue needs beyond signing: the session a request is made in, and the token scan. */
export interface QueueSession extends TokenSource {
  readonly name: string;
  /** The stored session's identity, null without one. */
  sessionIdentity(): Promise<string | null>;
  /** True when any of `texts` contains a token the worker holds. */
  holdsTokenIn(texts: readonly string[]): Promise<boolean>;
}

/** Finishes a login by redirect at its callback (`TokenBroker.finishRedirectLogin`). */
export interface RedirectLoginFinisher {
  finishRedirectLogin(callback: URL, fallbackReturnTo: string): Promise<{ returnTo: string; check?: string; error?: BrokerError; popup?: boolean }>;
}
