/** When an access token expires and when to refresh it ahead of that. */

/** The claims the broker reads from a JWT, without verifying it: only to schedule a refresh and to tell sessions apart. */
export interface JwtClaims {
  /** `exp`, in epoch ms. */
  exp?: number;
  /** `iat`, in epoch ms. */
  iat?: number;
  sub?: string;
}

/** Reads `exp`, `iat` and `sub` from a JWT; undefined for anything that is not one. */
export function jwtClaims(token: string): JwtClaims | undefined {
  const claims = jwtPayload(token);
  if (!claims) return undefined;
  const ms = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value * 1000 : undefined);
  return { exp: ms(claims.exp), iat: ms(claims.iat), sub: typeof claims.sub === 'string' ? claims.sub.slice(0, 256) : undefined };
}

/** The decoded payload of a JWT (not verified), or undefined when `token` is not one. */
export function jwtPayload(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const bytes = Uint8Array.from(atob(parts[1].replace(/-/g, '+').replace(/_/g, '/')), (char) => char.charCodeAt(0));
    const payload: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A JWT `exp` further away than this is not believed: a clock far behind, or a server bug. */
const MAX_PLAUSIBLE_LIFETIME_MS = 24 * 60 * 60 * 1000;

/**
 * The expiry of a new access token (epoch ms), from the first source that holds:
 * 1. `expires_in`: relative, so no clock can make it wrong;
 * 2. the JWT `exp`, when it lies ahead of this device's clock by no more than the token's
 *    own lifetime (`exp - iat`, or a day without `iat`);
 * 3. `now + (exp - iat)`: the clock is wrong (the token looks expired on arrival, or longer
 *    lived than the server made it), but the server's own lifetime is not;
 * 4. the configured default lifetime.
 * So a device clock an hour ahead does not make every token look expired (a refresh per request).
 */
export function accessExpiry(now: number, accessToken: string, expiresInSeconds: number | undefined, defaultLifetimeMs: number): number {
  if (expiresInSeconds !== undefined) return now + expiresInSeconds * 1000;
  const { exp, iat } = jwtClaims(accessToken) ?? {};
  if (exp === undefined) return now + defaultLifetimeMs;
  const lifetime = iat !== undefined && exp > iat ? exp - iat : undefined;
  const remaining = exp - now;
  if (remaining > 0 && remaining <= (lifetime ?? MAX_PLAUSIBLE_LIFETIME_MS)) return exp;
  if (lifetime !== undefined && lifetime <= MAX_PLAUSIBLE_LIFETIME_MS) return now + lifetime;
  return now + defaultLifetimeMs;
}

/**
 * When to refresh: `skewMs` before expiry, but never more than `maxSkewFraction` of the
 * token's lifetime, so a 2-second token is not refreshed on every request.
 */
export function refreshDueAt(issuedAt: number, expiresAt: number, skewMs: number, maxSkewFraction: number): number {
  const lifetime = Math.max(0, expiresAt - issuedAt);
  return expiresAt - Math.min(skewMs, lifetime * maxSkewFraction);
}
