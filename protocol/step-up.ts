/**
 * RFC 9470 (OAuth 2.0 Step Up Authentication Challenge): an API that wants a stronger or
 * fresher authentication answers 401 with `WWW-Authenticate: Bearer
 * error="insufficient_user_authentication"` and the `acr_values` and `max_age` it needs. Such
 * a 401 is no reason to refresh (a refreshed token carries the same authentication): the
 * page side and the worker read it here and neither refresh nor retry.
 *
 * A cross-origin API must expose the header (`Access-Control-Expose-Headers: WWW-Authenticate`)
 * for the browser to let a page or a worker read it.
 * @see https://www.rfc-editor.org/rfc/rfc9470
 */
import { StepUpRequiredError } from './errors.js';

export interface StepUpChallenge {
  /** The authentication context classes the API accepts, space-separated. */
  acrValues?: string;
  /** How old the authentication may be, in seconds. */
  maxAge?: number;
}

/** The step-up challenge in a `WWW-Authenticate` value, or undefined when it has none. */
export function stepUpChallenge(wwwAuthenticate: string | null | undefined): StepUpChallenge | undefined {
  if (typeof wwwAuthenticate !== 'string' || wwwAuthenticate.length > 4096) return undefined;
  const params = new Map<string, string>();
  for (const [, name, quoted, token] of wwwAuthenticate.matchAll(/([A-Za-z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))/g)) {
    params.set(name.toLowerCase(), quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : token);
  }
  if (params.get('error') !== 'insufficient_user_authentication') return undefined;
  const maxAge = Number(params.get('max_age'));
  return {
    ...(params.has('acr_values') ? { acrValues: params.get('acr_values') } : {}),
    ...(params.has('max_age') && Number.isSafeInteger(maxAge) && maxAge >= 0 ? { maxAge } : {}),
  };
}

/** The typed error for a response carrying the challenge, or undefined. */
export function stepUpError(status: number, wwwAuthenticate: string | null | undefined, cause?: unknown): StepUpRequiredError | undefined {
  if (status !== 401) return undefined;
  const challenge = stepUpChallenge(wwwAuthenticate);
  if (!challenge) return undefined;
  const asked = [challenge.acrValues && `acr_values "${challenge.acrValues}"`, challenge.maxAge !== undefined && `max_age ${challenge.maxAge}`].filter(Boolean).join(' and ');
  return new StepUpRequiredError(
    `The API asks for a stronger or more recent authentication (RFC 9470${asked ? `: ${asked}` : ''}); log in again with loginWithRedirect({ authorizationParams })`,
    { cause, details: { status, ...challenge } },
  );
}
