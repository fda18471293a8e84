/**
 * A mock auth server that behaves like real ones where it matters: refresh tokens rotate
 * on every use, and presenting a rotated token again revokes the whole token family
 * (reuse detection, as in Auth0, Okta and oidc-provider).
 */
import { randomBytes } from 'node:crypto';

export interface AuthStats {
  logins: number;
  loginsFailed: number;
  /** Every call to a refresh endpoint, accepted or not. */
  refreshes: number;
  refreshesRejected: number;
  /** Refresh calls refused because the token is DPoP-bound and the proof was missing or from another key. */
  dpopRejected: number;
  /** Refresh calls whose client went away before the answer (rotated or not, as configured). */
  refreshesAbandoned: number;
  /** Rotated refresh tokens accepted again within the rotation grace period (`ROTATION_GRACE_MS`). */
  graceAccepted: number;
  reuseDetected: number;
  revocations: number;
  apiCalls: number;
  api401: number;
  /**
   * Refresh grants the server handled, by the API asked for (Auth0-style `audience` or
   * RFC 8707 `resource`; `default` for none). Injected faults answered before are not in it.
   */
  grantsByResource: Record<string, number>;
  /** API calls refused because the token was issued for another API (its audience). */
  wrongAudience: number;
}

export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  /** With session limits (Keycloak's name): how long the new refresh token lives, idle or absolute, whichever ends first. */
  refresh_expires_in?: number;
}

export type GrantResult = { ok: true; tokens: TokenResponse } | { ok: false; status: number; error: string; description: string };

interface Family {
  id: string;
  user: string;
  revoked: boolean;
  /** Thumbprint of the DPoP key the family is bound to, when it was started with a proof. */
  jkt?: string;
  /** When the user logged in (epoch s): what a step-up API (RFC 9470 `max_age`) checks. */
  authTime: number;
}

/** A provider's session limits (Keycloak's SSO Session Idle and Max): a refresh token unused for `idleSeconds`, or a session older than `absoluteSeconds`, is refused. */
export interface SessionLimits {
  idleSeconds?: number;
  absoluteSeconds?: number;
}

const USERS: Record<string, string> = { demo: 'demo', alice: 'alice' };

const newToken = (prefix: string) => `${prefix}_${randomBytes(24).toString('base64url')}`;

const zeroStats = (): AuthStats => ({
  logins: 0,
  loginsFailed: 0,
  refreshes: 0,
  refreshesRejected: 0,
  refreshesAbandoned: 0,
  graceAccepted: 0,
  dpopRejected: 0,
  reuseDetected: 0,
  revocations: 0,
  apiCalls: 0,
  api401: 0,
  grantsByResource: {},
  wrongAudience: 0,
});

/** The key `grantsByResource` counts a grant under. */
const DEFAULT_AUDIENCE = 'default';

export class MockAuth {
  stats: AuthStats = zeroStats();
  /** Seconds an access token lives. */
  accessTtlSeconds: number;
  #families = new Map<string, Family>();
  /** refresh token -> family id and whether it was already used (rotated). */
  #refreshTokens = new Map<string, { familyId: string; used: boolean; usedAt?: number; issuedAt: number }>();
  /** Off by default; tests set them (`POST /auth/test/config { sessionLimits }`). */
  sessionLimits: SessionLimits = {};
  #accessTokens = new Map<string, { familyId: string; expiresAt: number; jkt?: string; audience?: string }>();
  now: () => number;
  /**
   * How long a rotated refresh token is still accepted (ms), as Auth0's "reuse interval"
   * and Okta's "grace period" allow; 0 (the default): reuse is detected at once.
   */
  rotationGraceMs: number;
  /**
   * Test quirks of real servers and proxies: JWT access tokens (`sub`, `iat`, `exp`)
   * instead of opaque ones, their claims written by a clock this many ms off, and a suffix
   * appended to each access token as sent (a server that issues a token with CR/LF).
   */
  quirks = { jwtAccessTokens: false, jwtClockOffsetMs: 0, accessTokenSuffix: '', ignoreAudience: false };

  constructor(options: { accessTtlSeconds: number; now?: () => number; rotationGraceMs?: number }) {
    this.accessTtlSeconds = options.accessTtlSeconds;
    this.now = options.now ?? Date.now;
    this.rotationGraceMs = options.rotationGraceMs ?? 0;
  }

  resetStats(): void {
    this.stats = zeroStats();
  }

  /** `jkt`: the thumbprint of a verified DPoP proof's key; the session is then bound to it. */
  login(username: unknown, password: unknown, jkt?: string): GrantResult {
    if (typeof username !== 'string' || typeof password !== 'string' || USERS[username] !== password) {
      this.stats.loginsFailed++;
      return { ok: false, status: 401, error: 'invalid_credentials', description: 'Unknown user or wrong password' };
    }
    this.stats.logins++;
    const family: Family = { id: newToken('fam'), user: username, revoked: false, jkt, authTime: Math.floor(this.now() / 1000) };
    this.#families.set(family.id, family);
    return { ok: true, tokens: this.#issue(family) };
  }

  /**
   * `jkt`: the thumbprint of a verified DPoP proof's key, if the request carried one.
   * `audience`: the API the new access token is for (Auth0's `audience`, RFC 8707's `resource`).
   */
  refresh(refreshToken: unknown, jkt?: string, audience?: string): GrantResult {
    this.stats.refreshes++;
    const counted = audience ?? DEFAULT_AUDIENCE;
    this.stats.grantsByResource[counted] = (this.stats.grantsByResource[counted] ?? 0) + 1;
    const record = typeof refreshToken === 'string' ? this.#refreshTokens.get(refreshToken) : undefined;
    const family = record ? this.#families.get(record.familyId) : undefined;
    if (!record || !family) return this.#reject('Unknown refresh token');
    if (family.jkt && family.jkt !== jkt) {
      // Checked before anything else: a copied token with the wrong key neither rotates nor revokes.
      this.stats.dpopRejected++;
      return this.#reject('The refresh token is DPoP-bound: a proof from its key is required');
    }
    if (record.used && !family.revoked && this.now() - (record.usedAt ?? 0) <= this.rotationGraceMs) {
      // Within the grace period: a client that never got the answer to its rotation tries again.
      this.stats.graceAccepted++;
      return { ok: true, tokens: this.#issue(family, audience) };
    }
    if (record.used) {
      // Reuse of a rotated token: assume it was stolen and end every session of the family.
      this.stats.reuseDetected++;
      family.revoked = true;
      return this.#reject('Refresh token reuse detected; the session was revoked');
    }
    if (family.revoked) return this.#reject('The session was revoked');
    const { idleSeconds, absoluteSeconds } = this.sessionLimits;
    if (idleSeconds !== undefined && this.now() - record.issuedAt > idleSeconds * 1000) return this.#reject('The session was idle longer than its idle timeout');
    if (absoluteSeconds !== undefined && this.now() - family.authTime * 1000 > absoluteSeconds * 1000) return this.#reject('The session reached its maximum lifetime');
    record.used = true;
    record.usedAt = this.now();
    return { ok: true, tokens: this.#issue(family, audience) };
  }

  /** Revokes the family of a refresh token (RFC 7009: unknown tokens are not an error). */
  revoke(refreshToken: unknown): void {
    const record = typeof refreshToken === 'string' ? this.#refreshTokens.get(refreshToken) : undefined;
    const family = record ? this.#families.get(record.familyId) : undefined;
    if (family && !family.revoked) {
      family.revoked = true;
      this.stats.revocations++;
    }
  }

  /** Revokes every session, as an administrator would. */
  revokeAll(): void {
    for (const family of this.#families.values()) family.revoked = true;
  }

  /** Expires every access token now, as a server whose clock runs ahead would. */
  expireAccessTokens(): void {
    for (const token of this.#accessTokens.values()) token.expiresAt = 0;
  }

  /** True when a refresh token is still usable (for tests that check revocation). */
  isRefreshTokenActive(refreshToken: string): boolean {
    const record = this.#refreshTokens.get(refreshToken);
    return !!record && !record.used && !this.#families.get(record.familyId)?.revoked;
  }

  /**
   * Checks an `Authorization` header; counts the API call. A DPoP-bound token needs the
   * `DPoP` scheme and `proofJkt`, the thumbprint of a proof verified for this request. An
   * API with an `audience` takes only tokens issued for it; the others only tokens for none.
   */
  authorize(header: string | undefined, proofJkt?: string, audience?: string): { ok: true; user: string; authTime: number } | { ok: false; reason: string } {
    this.stats.apiCalls++;
    const match = /^(Bearer|DPoP) (\S+)$/.exec(header ?? '');
    const token = match ? this.#accessTokens.get(match[2]) : undefined;
    const family = token ? this.#families.get(token.familyId) : undefined;
    let reason: string | undefined;
    if (!match) reason = 'missing bearer token';
    else if (token?.jkt && (match[1] !== 'DPoP' || proofJkt !== token.jkt)) reason = 'DPoP-bound token without a valid proof from its key';
    else if (!token || !family) reason = 'unknown token';
    else if (family.revoked) reason = 'session revoked';
    else if (this.now() >= token.expiresAt) reason = 'token expired';
    else if (token.audience !== audience) {
      reason = `token issued for ${token.audience ?? 'the default API'}, not this API`;
      this.stats.wrongAudience++;
    }
    if (reason !== undefined || !family) {
      this.stats.api401++;
      return { ok: false, reason: reason ?? 'unknown token' };
    }
    return { ok: true, user: family.user, authTime: family.authTime };
  }

  #issue(family: Family, asked?: string): TokenResponse {
    // A server that does not know audiences answers with its default token (`ignoreAudience`).
    const audience = this.quirks.ignoreAudience ? undefined : asked;
    // Auth0 issues a JWT whenever an audience names an API: its `aud` says which.
    const access = this.quirks.jwtAccessTokens || asked !== undefined ? this.#jwtAccessToken(family, audience) : newToken('at');
    const refresh = newToken('rt');
    this.#accessTokens.set(access, { familyId: family.id, expiresAt: this.now() + this.accessTtlSeconds * 1000, jkt: family.jkt, audience });
    this.#refreshTokens.set(refresh, { familyId: family.id, used: false, issuedAt: this.now() });
    const { idleSeconds, absoluteSeconds } = this.sessionLimits;
    const absoluteLeft = absoluteSeconds === undefined ? undefined : Math.max(1, Math.round(absoluteSeconds - (this.now() / 1000 - family.authTime)));
    const refreshLife = [idleSeconds, absoluteLeft].filter((each): each is number => each !== undefined);
    return {
      access_token: `${access}${this.quirks.accessTokenSuffix}`,
      refresh_token: refresh,
      token_type: family.jkt ? 'DPoP' : 'Bearer',
      expires_in: this.accessTtlSeconds,
      ...(refreshLife.length > 0 ? { refresh_expires_in: Math.min(...refreshLife) } : {}),
    };
  }

  /** A JWT-shaped access token (unsigned: the mock API looks tokens up, it does not verify them). */
  #jwtAccessToken(family: Family, audience: string | undefined): string {
    const iat = Math.floor((this.now() + this.quirks.jwtClockOffsetMs) / 1000);
    const claims = { sub: family.user, aud: audience ?? 'mock-default-api', iat, exp: iat + this.accessTtlSeconds, jti: randomBytes(12).toString('base64url') };
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    return `${part({ alg: 'none', typ: 'at+jwt' })}.${part(claims)}.${randomBytes(16).toString('base64url')}`;
  }

  #reject(description: string): GrantResult {
    this.stats.refreshesRejected++;
    return { ok: false, status: 400, error: 'invalid_grant', description };
  }
}
