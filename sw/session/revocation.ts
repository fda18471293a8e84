/**
 * Revocation in the background (RFC 7009 §2.2): nobody waits for it, and every tab hears how
 * it went (`revoked`, or `revocation-failed` with what the server said), so a logout that
 * left the token live at the server is never silent.
 */
import { MisconfiguredError, RefreshUnavailableError, isBrokerError, type SessionStatus } from '../../protocol/index.js';
import type { EndpointContext, TokenEndpoint } from '../adapters/types.js';
import type { DpopKey } from '../dpop.js';
import type { Notify } from './notify.js';

export interface RevocationDependencies {
  endpoint: Pick<TokenEndpoint, 'revoke'>;
  context: (dpop: DpopKey | undefined) => EndpointContext;
  notify: Notify;
  /** The session state the events carry, read when each revocation ends. */
  status: () => Promise<SessionStatus>;
}

export class BackgroundRevocations {
  readonly #deps: RevocationDependencies;
  /** Revocations still out: the worker stays alive for them (`whenIdle`). */
  readonly #pending = new Set<Promise<unknown>>();

  constructor(deps: RevocationDependencies) {
    this.#deps = deps;
  }

  /**
   * Revokes `refreshToken` without making anyone wait.
   *
   * @param why what the token was, for the event's reason ("the logged-out session").
   */
  revoke(refreshToken: string, dpop: DpopKey | undefined, why: string): void {
    const { endpoint, context, notify, status } = this.#deps;
    const attempt = endpoint.revoke
      ? endpoint.revoke(refreshToken, context(dpop))
      : Promise.reject(
          new MisconfiguredError(
            'No revocation endpoint configured: the refresh token stays valid at the server until it expires. Set revocationEndpoint (oauth2Endpoint, oidcEndpoint) or logoutUrl (jsonEndpoint)',
          ),
        );
    const done = attempt
      .then(
        async () => notify('revoked', await status(), `The refresh token of ${why} was revoked at the server`),
        async (error: unknown) => {
          const failure = isBrokerError(error) ? error : new RefreshUnavailableError('The revocation failed unexpectedly', { cause: error });
          console.warn(`sw-token-broker: the refresh token of ${why} was not revoked: ${failure.message}`);
          await notify('revocation-failed', await status(), `The refresh token of ${why} was not revoked: ${failure.message}`, failure.details);
        },
      )
      .catch(() => undefined) // only a failing notify lands here: nobody is left to tell
      .finally(() => this.#pending.delete(done));
    this.#pending.add(done);
  }

  /** The revocations still out. */
  inFlight(): Promise<unknown>[] {
    return [...this.#pending];
  }
}
