/**
 * Rule 14, the worker decides what goes to the provider: the authorization parameters of a
 * login by redirect are the config's defaults plus what a page asked for, and a page may ask
 * only for the parameters the config lists, within the values it allows. What the protocol
 * itself needs (client_id, redirect_uri, state, nonce, PKCE) is the adapter's alone.
 *
 * Names follow auth0-spa-js's `authorizationParams`.
 */
import { BrokerError, ErrorCode } from '../protocol/index.js';

/** Set by the adapter on every request: never by the config, never by a page. */
export const RESERVED_PARAMETERS: ReadonlySet<string> = new Set([
  'client_id',
  'redirect_uri',
  'response_type',
  'response_mode',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'request',
  'request_uri',
  'dpop_jkt',
]);

/** What pages may set per login unless the config says otherwise. */
export const DEFAULT_PAGE_PARAMETERS: readonly string[] = ['prompt', 'login_hint', 'ui_locales', 'acr_values', 'max_age'];

/** A parameter value a page may send: a string (or a number, for `max_age`). */
export type AuthorizationParamValue = string | number;
export type AuthorizationParams = Readonly<Record<string, AuthorizationParamValue>>;

const MAX_PARAMETERS = 20;
const MAX_VALUE_LENGTH = 1024;
const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
/** Parameters whose value is a space-separated list a page may only narrow. */
const LISTS = new Set(['scope']);
/** Parameters that pick an API: a page may only pick one the config names. */
const PICKS = new Set(['audience', 'resource']);

export interface AuthorizationPolicyOptions {
  /** Sent with every authorization request (`scope` included). */
  defaults: Readonly<Record<string, string>>;
  /** What a page may set per login. */
  pageParameters: readonly string[];
  /** Per parameter that picks an API (`audience`, `resource`): the values a page may ask for, besides the default. */
  choices?: Readonly<Record<string, readonly string[]>>;
}

export class AuthorizationPolicy {
  readonly #defaults: Readonly<Record<string, string>>;
  readonly #page: ReadonlySet<string>;
  readonly #choices: Readonly<Record<string, readonly string[]>>;

  /** @throws TypeError for a config that names a reserved parameter or is not strings (reported as `misconfigured`). */
  constructor(options: AuthorizationPolicyOptions) {
    for (const [name, value] of Object.entries(options.defaults)) {
      if (RESERVED_PARAMETERS.has(name)) throw new TypeError(`authorizationParams.${name} is set by the broker itself and cannot be configured`);
      if (!NAME.test(name) || typeof value !== 'string' || CONTROL.test(value) || value.length > MAX_VALUE_LENGTH) {
        throw new TypeError(`authorizationParams.${name} must be a string of at most ${MAX_VALUE_LENGTH} characters without control characters`);
      }
    }
    for (const name of options.pageParameters) {
      if (typeof name !== 'string' || !NAME.test(name)) throw new TypeError(`pageAuthorizationParams must list parameter names; got ${String(name)}`);
      if (RESERVED_PARAMETERS.has(name)) throw new TypeError(`pageAuthorizationParams cannot include ${name}: the broker sets it itself`);
    }
    this.#defaults = { ...options.defaults };
    this.#page = new Set(options.pageParameters);
    this.#choices = options.choices ?? {};
  }

  /**
   * The parameters of one authorization request: the defaults, with what the page asked for
   * where it may.
   *
   * @throws BrokerError `forbidden-parameter` naming the first parameter refused, and why.
   */
  parameters(requested: unknown = {}): Record<string, string> {
    const refuse = (message: string) => new BrokerError(ErrorCode.ForbiddenParameter, message);
    if (typeof requested !== 'object' || requested === null || Array.isArray(requested)) throw refuse('authorizationParams must be an object of strings');
    const entries = Object.entries(requested as Record<string, unknown>);
    if (entries.length > MAX_PARAMETERS) throw refuse(`authorizationParams may have at most ${MAX_PARAMETERS} parameters`);
    const parameters: Record<string, string> = { ...this.#defaults };
    for (const [name, raw] of entries) {
      if (RESERVED_PARAMETERS.has(name)) throw refuse(`${name.slice(0, 64)} is set by the broker itself; a page can never set it`);
      if (!this.#page.has(name)) throw refuse(`${name.slice(0, 64)} is not among the parameters the worker lets pages set (${[...this.#page].join(', ') || 'none'})`);
      const value = typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0 ? String(raw) : raw;
      if (typeof value !== 'string' || value.length > MAX_VALUE_LENGTH || CONTROL.test(value)) {
        throw refuse(`${name} must be a string of at most ${MAX_VALUE_LENGTH} characters without control characters`);
      }
      if (name === 'max_age' && !/^\d{1,10}$/.test(value)) throw refuse('max_age must be a whole number of seconds');
      if (LISTS.has(name)) this.#checkNarrows(name, value);
      if (PICKS.has(name)) this.#checkPick(name, value);
      parameters[name] = value;
    }
    return parameters;
  }

  /** A page may ask for a part of the configured list, never for more. */
  #checkNarrows(name: string, value: string): void {
    const allowed = new Set((this.#defaults[name] ?? '').split(' ').filter(Boolean));
    const extra = value.split(' ').filter((item) => item && !allowed.has(item));
    if (extra.length > 0) throw new BrokerError(ErrorCode.ForbiddenParameter, `${name} may only narrow the configured "${this.#defaults[name] ?? ''}"; not configured: ${extra.join(' ')}`);
  }

  /** A page may pick only a configured value (the default, or one of the APIs the worker knows). */
  #checkPick(name: string, value: string): void {
    const allowed = [this.#defaults[name], ...(this.#choices[name] ?? [])].filter((each): each is string => typeof each === 'string');
    if (!allowed.includes(value)) throw new BrokerError(ErrorCode.ForbiddenParameter, `${name} "${value.slice(0, 200)}" is not one the worker is configured for`);
  }
}
