/**
 * Rule 14's second half, in one place: one access token per API. The config maps allowlist
 * entries to what the provider needs to issue a token for that API (an RFC 8707 `resource`,
 * an Auth0-style `audience`, a `scope`); every other entry takes the login's token. Each API's
 * token comes from the refresh-token grant with those parameters, through the one refresh
 * flight (each grant rotates the one refresh token), and goes only to its own API's URLs.
 */
import { MisconfiguredError, isAllowedUrl, parseAllowlist, tokenTargetFor, type AllowlistEntry } from '../protocol/index.js';
import { withRotatedRefreshToken } from './adapters/http.js';
import type { TokenSet } from './adapters/types.js';
import { jwtPayload } from './expiry.js';

/** What the provider is asked for to issue one API's token. At least `audience` or `resource`. */
export interface ApiTokenRequest {
  /** Auth0's (and Okta's custom servers') name of the API. */
  audience?: string;
  /** RFC 8707 resource indicator: an absolute URI, no fragment. */
  resource?: string;
  /** The scopes this API's token needs (space-separated). */
  scope?: string;
}

/** An API with its own token: the allowlist entry that names it, parsed, and what to ask for. */
export interface ApiTarget {
  /** The allowlist entry as configured: the key its token is kept under. */
  key: string;
  entry: AllowlistEntry;
  request: ApiTokenRequest;
}

/** The key of the login's own token (every allowlist entry without an API of its own). */
export const LOGIN_TOKEN = '';

const PARAMETER_VALUE = /^[\x20-\x7e]{1,2048}$/;

/**
 * Checks `config.apis`: each key an entry of `apiAllowlist`, each value an audience or a
 * resource, and an optional scope, all plain printable strings.
 *
 * @throws {TypeError} naming the entry that is wrong.
 */
export function resolveApis(apis: Readonly<Record<string, ApiTokenRequest>> | undefined, allowlist: readonly string[]): ApiTarget[] {
  if (apis === undefined) return [];
  if (typeof apis !== 'object' || apis === null || Array.isArray(apis)) throw new TypeError('config.apis must map allowlist entries to { audience, resource, scope }');
  return Object.entries(apis).map(([key, request]) => {
    if (!allowlist.includes(key)) throw new TypeError(`config.apis: ${key} is not an entry of config.apiAllowlist (a token must only go where the allowlist lets it)`);
    if (typeof request !== 'object' || request === null) throw new TypeError(`config.apis[${key}] must be { audience, resource, scope }`);
    const { audience, resource, scope } = request;
    for (const [name, value] of Object.entries({ audience, resource, scope })) {
      if (value !== undefined && (typeof value !== 'string' || !PARAMETER_VALUE.test(value))) throw new TypeError(`config.apis[${key}].${name} must be a printable string`);
    }
    if (audience === undefined && resource === undefined) throw new TypeError(`config.apis[${key}] needs an audience or a resource: without one the provider would issue the login's token again`);
    if (resource !== undefined && (!URL.canParse(resource) || resource.includes('#'))) throw new TypeError(`config.apis[${key}].resource must be an absolute URI without a fragment (RFC 8707)`);
    return { key, entry: parseAllowlist([key])[0]!, request: { audience, resource, scope } };
  });
}

/** The API a request URL belongs to (its most specific entry), or undefined: the login's token. */
export function apiFor(url: string | URL, apis: readonly ApiTarget[]): ApiTarget | undefined {
  const index = tokenTargetFor(url, apis.map((api) => api.entry));
  return index === undefined ? undefined : apis[index];
}

/** The refresh grant's extra parameters for one API's token. */
export function grantParameters(request: ApiTokenRequest): Record<string, string> {
  const parameters: Record<string, string> = {};
  if (request.audience !== undefined) parameters.audience = request.audience;
  if (request.resource !== undefined) parameters.resource = request.resource;
  if (request.scope !== undefined) parameters.scope = request.scope;
  return parameters;
}

/**
 * A provider that ignored the `audience`/`resource` (a JWT whose `aud` does not name the
 * API) answered with a token the API will refuse, or one meant for another API: refused as
 * `misconfigured`, naming both, and the rotated refresh token is kept (the old one is spent).
 * An opaque access token cannot be checked: it is taken as it is.
 */
export function audienceRefusal(tokens: TokenSet, api: ApiTarget): MisconfiguredError | undefined {
  const expected = api.request.audience ?? api.request.resource;
  const claims = jwtPayload(tokens.accessToken);
  if (expected === undefined || claims?.aud === undefined) return undefined;
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (audiences.includes(expected)) return undefined;
  const message =
    `The token endpoint was asked for a token for ${expected} (the API at ${api.key}) and issued one for ${JSON.stringify(claims.aud)}: ` +
    'the provider ignored the audience/resource parameter. The token is not used; register the API at the provider (or enable resource indicators), or fix config.apis';
  const error = new MisconfiguredError(message, { details: { error: 'audience_mismatch', errorDescription: `expected ${expected}` } });
  return tokens.refreshToken ? withRotatedRefreshToken(error, tokens.refreshToken) : error;
}

/** The broker's view of `config.apis`: which token a URL gets, what its grant sends, what it refuses. */
export class ApiTokens {
  readonly #apis: readonly ApiTarget[];
  readonly #allowlist: readonly AllowlistEntry[];

  constructor(config: { apis: readonly ApiTarget[]; allowlist: readonly AllowlistEntry[] }) {
    this.#apis = config.apis;
    this.#allowlist = config.allowlist;
  }

  /**
   * The key of the token a request to `url` carries: its API's, else the login's (also
   * without a URL). @throws MisconfiguredError for a URL outside the allowlist: it gets no token.
   */
  keyFor(url: string | undefined): string {
    if (url === undefined) return LOGIN_TOKEN;
    if (!isAllowedUrl(url, this.#allowlist)) throw new MisconfiguredError(`No token is given for ${safeOrigin(url)}: it is not in the worker's apiAllowlist`);
    return apiFor(url, this.#apis)?.key ?? LOGIN_TOKEN;
  }

  /** The grant parameters for `key`'s token; undefined for the login's. */
  grantParameters(key: string): Record<string, string> | undefined {
    const api = this.#apis.find((each) => each.key === key);
    return api ? grantParameters(api.request) : undefined;
  }

  /** A refresh answer for `key` that names another audience: refused ({@link audienceRefusal}). */
  refusal(tokens: TokenSet, key: string): MisconfiguredError | undefined {
    const api = this.#apis.find((each) => each.key === key);
    return api ? audienceRefusal(tokens, api) : undefined;
  }
}

function safeOrigin(url: string): string {
  return URL.canParse(url) ? new URL(url).origin : 'a URL that does not parse';
}
