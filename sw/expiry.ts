/** When an access token expires and when to refresh it ahead of that. */

/** Reads `exp` (seconds) from a JWT without verifying it: only to schedule a refresh. */
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const json = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/'));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The expiry of a new access token (epoch ms): `expires_in` first, else the JWT `exp`,
 * else the configured default lifetime.
 */
export function accessExpiry(now: number, accessToken: string, expiresInSeconds: number | undefined, defaultLifetimeMs: number): number {
  if (expiresInSeconds !== undefined) return now + expiresInSeconds * 1000;
  return jwtExpiry(accessToken) ?? now + defaultLifetimeMs;
}

/**
 * When to refresh: `skewMs` before expiry, but never more than `maxSkewFraction` of the
 * token's lifetime, so a 2-second token is not refreshed on every request.
 */
export function refreshDueAt(issuedAt: number, expiresAt: number, skewMs: number, maxSkewFraction: number): number {
  const lifetime = Math.max(0, expiresAt - issuedAt);
  return expiresAt - Math.min(skewMs, lifetime * maxSkewFraction);
}
