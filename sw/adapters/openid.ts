/**
 * The adapter for an OpenID provider: login by redirect with the authorization code grant
 * and PKCE (RFC 7636) against the provider's discovered metadata, refresh with rotation,
 * revocation at logout. The worker keeps state, nonce and code verifier, and exchanges the
 * code itself, so the code never reaches page JavaScript.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7636
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html
 */
import * as oauth from 'oauth4webapi';
import { BrokerError, ErrorCode, LoginFailedError, MisconfiguredError, RefreshUnavailableError } from '../../protocol/index.js';
import { dpopResourceFetch, withNonceRetry } from './dpop-proofs.js';
import { boundedRequest, isRedirect, redirectMistake, resolveEndpointUrl } from './http.js';
import { checkClientId, checkSecure, oauthGrants, processTokenResponse, requestOptions } from './oauth-grants.js';
import { buildEndpoint } from './misconfigured.js';
import { AuthorizationPolicy, DEFAULT_PAGE_PARAMETERS } from '../authorization-params.js';
import type { EndpointContext, PendingAuthorization, TokenEndpoint } from './types.js';

export interface OidcEndpointOptions {
  /** The OpenID provider's issuer identifier; its metadata is discovered from it. */
  issuer: string;
  /**
   * Where the metadata is, when not at `${issuer}/.well-known/openid-configuration`
   * (Django OAuth Toolkit serves it only with a trailing slash). Its `issuer` must still
   * equal `issuer`.
   */
  discoveryUrl?: string;
  /**
   * The provider's metadata itself (`issuer`, `authorization_endpoint`, `token_endpoint`,
   * ...), for a provider that has no discovery document: nothing is fetched.
   */
  metadata?: Readonly<Record<string, unknown>>;
  /**
   * RFC 7009 revocation endpoint, used when the metadata names none (Django OAuth Toolkit
   * 1.7's does not). Without either, logout only clears the session, and every tab is told
   * `revocation-failed`.
   */
  revocationEndpoint?: string;
  clientId: string;
  /** The redirect URI registered for the client; must be in the worker's scope, which answers it. */
  redirectUri: string;
  /** Default `openid` (or `authorizationParams.scope`). A page may ask only for a part of it. */
  scope?: string;
  /**
   * Sent with every authorization request: `audience` (Auth0), `resource` (RFC 8707),
   * `prompt`, `acr_values`, or any extra parameter the provider takes. Never `client_id`,
   * `redirect_uri`, `response_type`, `state`, `nonce` or PKCE values: the worker sets those.
   */
  authorizationParams?: Readonly<Record<string, string>>;
  /**
   * The parameters a page may set per login (`loginWithRedirect({ authorizationParams })`).
   * Default: `prompt`, `login_hint`, `ui_locales`, `acr_values`, `max_age`. List `scope`,
   * `audience` or `resource` to let a page narrow them; it can never widen them.
   */
  pageAuthorizationParams?: readonly string[];
  /**
   * Where the provider sends the browser after `logout({ endSession: true })` (RP-Initiated
   * Logout): a page of the app, registered at the provider. Never taken from a page.
   */
  postLogoutRedirectUri?: string;
  /** The provider's `end_session_endpoint`, when its metadata names none. */
  endSessionEndpoint?: string;
  /** Allows `http:` endpoints. Only for loopback development and tests. */
  allowInsecureRequests?: boolean;
}

/**
 * Creates an endpoint that logs in with the authorization code grant and PKCE against an
 * OpenID provider, refreshes with rotation and revokes at logout. The worker generates
 * state, nonce and code verifier, keeps them in its store, and exchanges the code when the
 * browser navigates to `redirectUri`, so the code never reaches page JavaScript.
 *
 * A mistake in the options (no issuer, client id or redirect URI) does not throw:
 * `installTokenBroker` reports it to every page as `misconfigured`.
 * @see https://www.rfc-editor.org/rfc/rfc7636
 */
export function oidcEndpoint(options: OidcEndpointOptions): TokenEndpoint {
  return buildEndpoint(() => {
    if (typeof options !== 'object' || options === null) throw new TypeError('oidcEndpoint options must be an object');
    checkClientId(options.clientId);
    const issuer = new URL(resolveEndpointUrl(options.issuer, 'issuer'));
    const redirectUri = resolveEndpointUrl(options.redirectUri, 'redirectUri');
    const discoveryUrl = options.discoveryUrl === undefined ? undefined : new URL(resolveEndpointUrl(options.discoveryUrl, 'discoveryUrl'));
    const revocationEndpoint = options.revocationEndpoint === undefined ? undefined : resolveEndpointUrl(options.revocationEndpoint, 'revocationEndpoint');
    const postLogoutRedirectUri = options.postLogoutRedirectUri === undefined ? undefined : resolveEndpointUrl(options.postLogoutRedirectUri, 'postLogoutRedirectUri');
    const endSessionEndpoint = options.endSessionEndpoint === undefined ? undefined : resolveEndpointUrl(options.endSessionEndpoint, 'endSessionEndpoint');
    const metadata = options.metadata === undefined ? undefined : checkMetadata(options.metadata, issuer.href);
    checkSecure([issuer.href, discoveryUrl?.href, revocationEndpoint, endSessionEndpoint], options.allowInsecureRequests);
    const insecure = options.allowInsecureRequests === true;
    const policy = new AuthorizationPolicy({
      defaults: { ...options.authorizationParams, scope: options.scope ?? options.authorizationParams?.scope ?? 'openid' },
      pageParameters: options.pageAuthorizationParams ?? DEFAULT_PAGE_PARAMETERS,
    });
    const client: oauth.Client = { client_id: options.clientId };
    let discovered: Promise<oauth.AuthorizationServer> | undefined = metadata ? Promise.resolve(metadata) : undefined;
    const discover = (context: EndpointContext) => {
      discovered ??= (async () => {
        const where = discoveryUrl ?? new URL(`${issuer.href.replace(/\/$/, '')}/.well-known/openid-configuration`);
        const response = await boundedRequest(
          context,
          (signal) =>
            discoveryUrl
              ? context.fetch(discoveryUrl.href, { headers: { accept: 'application/json' }, redirect: 'manual', signal })
              : oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...requestOptions(context, insecure, signal) }),
          where.href,
        );
        if (isRedirect(response)) throw redirectMistake(response, where.href, 'OpenID discovery URL');
        if (!response.ok) {
          const message = `The OpenID provider metadata at ${where.href} could not be read: it answered ${response.status}`;
          // A 404 is a wrong issuer or discovery URL; anything else may pass.
          throw response.status === 404
            ? new MisconfiguredError(`${message}; check issuer (or set discoveryUrl or metadata)`, { details: { status: 404, url: where.href } })
            : new RefreshUnavailableError(message, { details: { status: response.status, url: where.href } });
        }
        try {
          return await oauth.processDiscoveryResponse(issuer, response);
        } catch (error) {
          throw new MisconfiguredError(`The OpenID provider metadata at ${where.href} is not usable: ${(error as Error)?.message ?? String(error)}`, {
            cause: error,
            details: { url: where.href },
          });
        }
      })().catch((error: unknown) => {
        discovered = undefined; // try again next time
        throw error;
      });
      return discovered;
    };
    // The issuer is discovered, so an id_token in a refresh answer is checked against it.
    const withRevocation = async (context: EndpointContext) => {
      const as = await discover(context);
      return as.revocation_endpoint || !revocationEndpoint ? as : { ...as, revocation_endpoint: revocationEndpoint };
    };
    const grants = oauthGrants(withRevocation, client, insecure, { validateIdToken: true });

    return {
      dpopFetch: dpopResourceFetch,
      sendsGrantParameters: true,
      refresh: grants.refresh,
      async userinfo(accessToken, context, expectedSubject) {
        const as = await discover(context);
        if (!as.userinfo_endpoint) throw new BrokerError(ErrorCode.NotSupported, 'The provider has no userinfo endpoint');
        const url = as.userinfo_endpoint;
        const response = await withNonceRetry(() => boundedRequest(context, (signal) => oauth.userInfoRequest(as, client, accessToken, requestOptions(context, insecure, signal)), url));
        if (response.status === 401) return 'unauthorized';
        if (!response.ok) throw new RefreshUnavailableError(`The userinfo endpoint answered ${response.status}`, { details: { status: response.status, url } });
        try {
          return { ...(await oauth.processUserInfoResponse(as, client, expectedSubject ?? oauth.skipSubjectCheck, response)) };
        } catch (error) {
          // oauth4webapi refuses an answer whose `sub` is not the session's: the token is someone else's.
          if (expectedSubject !== undefined && /sub/.test((error as Error)?.message ?? '')) {
            throw new BrokerError(ErrorCode.SessionChanged, "The userinfo answer is for another user than the session's id_token: nothing is returned", { cause: error });
          }
          throw new RefreshUnavailableError(`The userinfo answer is not usable: ${(error as Error)?.message ?? String(error)}`, { cause: error, details: { url } });
        }
      },
      async revoke(refreshToken, context) {
        const as = await discover(context);
        if (!as.revocation_endpoint && !revocationEndpoint) {
          throw new MisconfiguredError(
            'No revocation endpoint configured or discovered: the refresh token stays valid at the provider until it expires. Set revocationEndpoint in oidcEndpoint',
          );
        }
        await grants.revoke(refreshToken, context);
      },
      redirectLogin: {
        callbackUrl: redirectUri,
        async start(context, requested) {
          // Rule 14, before anything else: a refused parameter costs no discovery and keeps no state.
          const parameters = policy.parameters(requested);
          const as = await discover(context);
          if (!as.authorization_endpoint) throw new RefreshUnavailableError('The provider has no authorization endpoint');
          const pending: PendingAuthorization = {
            state: oauth.generateRandomState(),
            nonce: oauth.generateRandomNonce(),
            codeVerifier: oauth.generateRandomCodeVerifier(),
            ...(parameters.max_age === undefined ? {} : { maxAge: Number(parameters.max_age) }),
          };
          const url = new URL(as.authorization_endpoint);
          url.search = new URLSearchParams({
            ...parameters,
            client_id: client.client_id,
            redirect_uri: redirectUri,
            response_type: 'code',
            state: pending.state,
            nonce: pending.nonce,
            code_challenge: await oauth.calculatePKCECodeChallenge(pending.codeVerifier),
            code_challenge_method: 'S256',
          }).toString();
          return { authorizationUrl: url.href, pending };
        },
        async endSession(context, { idToken, state }) {
          const as = await discover(context);
          const where = as.end_session_endpoint ?? endSessionEndpoint;
          if (!where) return undefined;
          const url = new URL(where);
          // id_token_hint names the session to end (and lets the provider skip asking); client_id
          // is what providers want beside post_logout_redirect_uri (RP-Initiated Logout 1.0 §2).
          if (idToken) url.searchParams.set('id_token_hint', idToken);
          url.searchParams.set('client_id', client.client_id);
          if (postLogoutRedirectUri) url.searchParams.set('post_logout_redirect_uri', postLogoutRedirectUri);
          url.searchParams.set('state', state);
          return url.href;
        },
        async finish(callback, pending, context) {
          const as = await discover(context);
          let parameters: URLSearchParams;
          try {
            parameters = oauth.validateAuthResponse(as, client, callback, pending.state);
          } catch (error) {
            const detail = error instanceof oauth.AuthorizationResponseError ? `the provider answered ${error.error}` : (error as Error).message;
            throw new LoginFailedError(`The authorization response was rejected: ${detail}`, { cause: error });
          }
          return withNonceRetry(async () => {
            const url = as.token_endpoint ?? '';
            const response = await boundedRequest(
              context,
              (signal) =>
                oauth.authorizationCodeGrantRequest(as, client, oauth.None(), parameters, redirectUri, pending.codeVerifier, requestOptions(context, insecure, signal)),
              url,
            );
            return processTokenResponse(response, { url, grant: 'login', context, leniency: { validateIdToken: true } }, (answer) =>
              oauth.processAuthorizationCodeResponse(as, client, answer, { expectedNonce: pending.nonce, requireIdToken: true, ...(pending.maxAge === undefined ? {} : { maxAge: pending.maxAge }) }),
            );
          });
        },
      },
    };
  });
}

/** @throws {TypeError} for metadata without the endpoints a login by redirect needs, or for another issuer. */
function checkMetadata(metadata: Readonly<Record<string, unknown>>, issuer: string): oauth.AuthorizationServer {
  if (typeof metadata !== 'object' || metadata === null) throw new TypeError('metadata must be the provider metadata object');
  for (const field of ['authorization_endpoint', 'token_endpoint']) {
    if (typeof metadata[field] !== 'string') throw new TypeError(`metadata.${field} must be a URL`);
  }
  if (metadata.issuer !== undefined && metadata.issuer !== issuer && metadata.issuer !== issuer.replace(/\/$/, '')) {
    throw new TypeError(`metadata.issuer (${String(metadata.issuer)}) is not the configured issuer ${issuer}`);
  }
  return { ...metadata, issuer: typeof metadata.issuer === 'string' ? metadata.issuer : issuer.replace(/\/$/, '') } as oauth.AuthorizationServer;
}
