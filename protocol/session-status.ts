/** The session state every page may see (`status()`, every event): never a token. */

/**
 * How the page uses the access token, and where the broker runs: `handoff` and `sealed` in the
 * service worker; `page` where no worker can run and the app allowed the page-side fallback
 * (handoff's API, but page script can read the tokens: `fallback/`).
 */
export type BrokerMode = 'handoff' | 'sealed' | 'page';

/** What any page may know about the session: never a refresh token. */
export interface SessionStatus {
  loggedIn: boolean;
  /** When the current access token expires (epoch ms), or null without a session. */
  accessExpiresAt: number | null;
  /** Increases by one with every new access token; identifies the token without revealing it. */
  generation: number | null;
  mode: BrokerMode;
  /**
   * After a failed refresh: the time (epoch ms) before which the worker sends no refresh
   * request (the cool-down); null when it may refresh at once.
   */
  refreshRetryAt: number | null;
  /**
   * When the worker instance that answered started (epoch ms). Browsers stop idle workers
   * and start them again on the next event; a new value means that happened (the session
   * survives it: it is in IndexedDB).
   */
  workerStartedAt: number;
  /**
   * False while the session lives only in the worker's memory because writing it to
   * storage failed (the worker retries the write; see `storage-failed`); true when it is
   * stored; null without a session. A stopped worker loses a session that is not stored.
   */
  persisted: boolean | null;
  /**
   * With `dpop` configured: whether the server bound the session's tokens to the worker's
   * key (`token_type: DPoP`). False with DPoP off, or when the server answered Bearer and
   * the worker allows it (`dpop: { allowUnbound: true }`); null without a session.
   */
  dpopBound: boolean | null;
  /**
   * The id_token's claims (`sub`, `name`, `email`, …) when the provider gave one at login
   * (kept across refreshes); null without one. Never a token: the nonce and the hashes of
   * other tokens (`at_hash`, `c_hash`) are left out.
   */
  claims: Record<string, unknown> | null;
  /**
   * Which session this is: `sub:<subject>` where the tokens name the user, else
   * `sid:<random id>` fixed at login. Not a credential; requests carry it so that none is
   * ever sent with the token of another session. Null without a session.
   */
  session: string | null;
  /**
   * When the session ends whatever happens (epoch ms, this worker's clock): the earliest of the
   * provider's refresh-token lifetime (`refresh_expires_in`, `refresh_token_expires_in`), the
   * configured `session.absoluteLifetimeSeconds` and the idle deadline. Null when none is known
   * or without a session. Absent from workers before it.
   */
  sessionExpiresAt?: number | null;
  /** When the session ends unless it is refreshed before (an idle timeout, configured or the provider's); null when none is known. */
  idleExpiresAt?: number | null;
}
