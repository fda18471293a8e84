/**
 * The id_token's claims the pages may read (`status().claims`): who the user is, never a
 * token. Read from the token endpoint's own answer (over TLS, OpenID Connect Core §3.1.3.7);
 * the hashes of other tokens and the nonce are left out, and a payload too large to send
 * to every tab on every event is dropped.
 */
import { jwtPayload } from './expiry.js';

/** The claims of an id_token, as the page receives them. */
export type IdTokenClaims = Record<string, unknown>;

/** Claims that describe other tokens or the login request, not the user. */
const LEFT_OUT = new Set(['nonce', 'at_hash', 'c_hash', 's_hash', 'sid_hash']);
/** Claims larger than this (as JSON) are not kept: events carry them to every tab. */
const MAX_CLAIMS_BYTES = 4096;

/** The claims of `idToken` without the token-derived ones, or undefined when it is not a JWT or too large. */
export function idTokenClaims(idToken: unknown): IdTokenClaims | undefined {
  if (typeof idToken !== 'string') return undefined;
  const payload = jwtPayload(idToken);
  if (!payload) return undefined;
  const claims: IdTokenClaims = {};
  for (const [name, value] of Object.entries(payload)) if (!LEFT_OUT.has(name)) claims[name] = value;
  return JSON.stringify(claims).length <= MAX_CLAIMS_BYTES ? claims : undefined;
}
