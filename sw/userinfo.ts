/**
 * The provider's userinfo for the session (OpenID Connect Core §5.3), read by the worker with
 * the session's access token: refreshed first through the one flight when it is due, a 401
 * answered by one refresh and one retry, the answer's `sub` checked against the session's,
 * kept for the session and forgotten at logout or login. Depends on narrow interfaces only.
 */
import { BrokerError, ErrorCode } from '../protocol/index.js';
import type { EndpointContext, TokenEndpoint } from './adapters/types.js';
import type { TokenSource } from './token-source.js';

export interface UserinfoDependencies {
  endpoint: Pick<TokenEndpoint, 'userinfo'>;
  tokens: TokenSource;
  context: (dpop: EndpointContext['dpop']) => EndpointContext;
}

export class UserinfoReader {
  readonly #deps: UserinfoDependencies;
  /** The answer for one session (its identity), while that session lasts. */
  #cached: { session: string; userinfo: Promise<Record<string, unknown>> } | undefined;

  constructor(deps: UserinfoDependencies) {
    this.#deps = deps;
  }

  /**
   * @throws NotLoggedInError, SessionEndedError, RefreshUnavailableError; `not-supported` for a
   *   provider without a userinfo endpoint; `session-changed` when the answer is for another user.
   */
  async read(): Promise<Record<string, unknown>> {
    const { endpoint, tokens, context } = this.#deps;
    if (!endpoint.userinfo) throw new BrokerError(ErrorCode.NotSupported, 'This token endpoint has no userinfo: use oidcEndpoint with a provider that offers it');
    const token = await tokens.sealedToken();
    if (this.#cached?.session === token.session) return this.#cached.userinfo;
    // The session's identity is `sub:<subject>` when its id_token (or JWT access token) named the user.
    const subject = token.session.startsWith('sub:') ? token.session.slice(4) : undefined;
    const userinfo = (async () => {
      const first = await endpoint.userinfo!(token.accessToken, context(token.dpop), subject);
      if (first !== 'unauthorized') return first;
      // The token expired early at the provider: one refresh (shared), one retry, with a token of the same session.
      await tokens.refresh({ failedGeneration: token.generation, session: token.session });
      const next = await tokens.sealedToken();
      if (next.session !== token.session) throw new BrokerError(ErrorCode.SessionChanged, 'Another login replaced the session while its userinfo was read');
      const second = await endpoint.userinfo!(next.accessToken, context(next.dpop), subject);
      if (second === 'unauthorized') throw new BrokerError(ErrorCode.RefreshUnavailable, 'The userinfo endpoint refused the refreshed access token too');
      return second;
    })();
    this.#cached = { session: token.session, userinfo };
    // A failure is not kept: the next call asks again.
    userinfo.catch(() => this.#cached?.userinfo === userinfo && (this.#cached = undefined));
    return userinfo;
  }

  /** Forgets the answer (a logout, a login). */
  forget(): void {
    this.#cached = undefined;
  }
}
