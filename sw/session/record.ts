/**
 * A session record from a token response, and what the broker reads off one: who it is for
 * (rule 11), and whether the server bound its tokens to the DPoP key.
 */
import { MisconfiguredError, SessionEndedError, type BrokerError, type FailedCredential } from '../../protocol/index.js';
import type { TokenSet } from '../adapters/types.js';
import type { DpopKey } from '../dpop.js';
import { accessExpiry, jwtClaims } from '../expiry.js';
import { LOGIN_TOKEN } from '../api-tokens.js';
import { SESSION_VERSION, type AccessTokenSlot, type StoredSession } from '../store.js';

/** What a new record is made of beside the token response. */
export interface RecordParts {
  refreshToken: string;
  generation: number;
  dpop: DpopKey | undefined;
  /** Fixed at login, kept across refreshes. */
  sessionId: string | undefined;
  now: number;
  /** The access token's lifetime when neither `expires_in` nor a JWT `exp` says it. */
  defaultLifetimeMs: number;
}

/** The record to store for a token response. */
export function sessionFrom(tokens: TokenSet, parts: RecordParts): StoredSession {
  const { refreshToken, generation, dpop, sessionId, now, defaultLifetimeMs } = parts;
  return {
    dpop,
    dpopBound: dpop && tokens.tokenType?.toLowerCase() !== 'dpop' ? false : undefined,
    subject: tokens.subject ?? (typeof tokens.claims?.sub === 'string' ? tokens.claims.sub : undefined) ?? jwtClaims(tokens.accessToken)?.sub,
    claims: tokens.claims,
    idToken: tokens.idToken,
    startedAt: now,
    refreshedAt: now,
    refreshExpiresAt: tokens.refreshExpiresInSeconds === undefined ? undefined : now + tokens.refreshExpiresInSeconds * 1000,
    version: SESSION_VERSION,
    refreshToken,
    accessToken: tokens.accessToken,
    accessIssuedAt: now,
    accessExpiresAt: accessExpiry(now, tokens.accessToken, tokens.expiresInSeconds, defaultLifetimeMs),
    generation,
    sessionId,
  };
}

/** One access token of a session: the login's (`LOGIN_TOKEN`) or an API's; undefined when that API has none yet. */
export function tokenOf(session: StoredSession, api: string): AccessTokenSlot | undefined {
  return api === LOGIN_TOKEN ? session : session.apiTokens?.[api];
}

/**
 * The record for a refresh answer: the same session (its id, key and user), the next
 * generation of the token refreshed, the login's or one API's (`api`); the others are kept.
 */
export function refreshedRecord(tokens: TokenSet, session: StoredSession, parts: Pick<RecordParts, 'now' | 'defaultLifetimeMs'>, api: string = LOGIN_TOKEN): StoredSession {
  const refreshToken = tokens.refreshToken ?? session.refreshToken;
  // The refresh token was used now: the idle timeout starts again, the login's time stays.
  const { now } = parts;
  // Each answer says the limit, or there is none known (a stale one would end the session for nothing).
  const refreshExpiresAt = tokens.refreshExpiresInSeconds === undefined ? undefined : now + tokens.refreshExpiresInSeconds * 1000;
  // A limit the refresh did not move (within 2 s) is an absolute end (Microsoft's, Keycloak's max), not an idle one.
  const fixed = session.refreshExpiresFixed || (tokens.refreshExpiresInSeconds !== undefined && session.refreshExpiresAt !== undefined && Math.abs(refreshExpiresAt! - session.refreshExpiresAt) < 2000);
  const lifetime = { startedAt: session.startedAt, refreshedAt: now, refreshExpiresAt, refreshExpiresFixed: fixed ? true : undefined };
  if (api !== LOGIN_TOKEN) {
    const { defaultLifetimeMs } = parts;
    const slot: AccessTokenSlot = {
      accessToken: tokens.accessToken,
      accessIssuedAt: now,
      accessExpiresAt: accessExpiry(now, tokens.accessToken, tokens.expiresInSeconds, defaultLifetimeMs),
      generation: (session.apiTokens?.[api]?.generation ?? 0) + 1,
    };
    return { ...session, ...lifetime, refreshToken, apiTokens: { ...session.apiTokens, [api]: slot } };
  }
  const next = sessionFrom(tokens, { ...parts, refreshToken, generation: session.generation + 1, dpop: session.dpop, sessionId: session.sessionId });
  if (session.apiTokens) next.apiTokens = session.apiTokens;
  Object.assign(next, lifetime);
  // A refresh answer rarely carries a new id_token: the user is the same, so are the claims.
  if (!next.claims && (next.subject === undefined || next.subject === session.subject)) next.claims = session.claims;
  next.idToken ??= session.idToken;
  // Nor a subject, often: the session is still the same user's (its identity must not change with a refresh).
  if (next.subject === undefined) next.subject = session.subject;
  return next;
}

/**
 * True when a 401 report names `token`, the one the session holds now (else the report is
 * stale: the newer token is the answer, no refresh). A token not issued yet was not the one
 * that failed. Naming nothing, a page cannot force rotations: only a token that `isDue` is.
 */
export function namesCurrentToken(failed: FailedCredential, token: AccessTokenSlot | undefined, isDue: () => boolean): boolean {
  if (!token) return false;
  if (failed.failedToken !== undefined) return token.accessToken === failed.failedToken;
  if (failed.failedGeneration !== undefined) return token.generation === failed.failedGeneration;
  return isDue();
}

/**
 * Which session this is, for rule 11 (a request is only sent with a token of its own
 * session): the user where the tokens name one, else the id fixed at its login.
 */
export function identityOf(session: StoredSession): string {
  const subject = subjectOf(session);
  return subject !== undefined ? `sub:${subject}` : `sid:${session.sessionId ?? 'unknown'}`;
}

/** Who a session is for: its recorded subject, else a JWT access token's `sub`. */
export function subjectOf(session: StoredSession): string | undefined {
  return session.subject ?? jwtClaims(session.accessToken)?.sub;
}

/**
 * With DPoP on, a token response must say `token_type: DPoP`: anything else is a server
 * that ignored the proof (or a proxy that stripped it), and its tokens work from anywhere.
 * Refused unless the config allows unbound tokens.
 */
export function bindingRefusal(tokens: TokenSet, grant: 'login' | 'refresh', config: { dpop: unknown; dpopAllowUnbound: boolean }): BrokerError | undefined {
  if (!config.dpop || config.dpopAllowUnbound || tokens.tokenType?.toLowerCase() === 'dpop') return undefined;
  const answered = tokens.tokenType === undefined ? 'no token_type' : `token_type ${JSON.stringify(tokens.tokenType)}`;
  const message =
    `DPoP is configured, but the token endpoint answered with ${answered}: its tokens are not bound to the worker's key, ` +
    'and would work for anyone who copied them. They were revoked. Turn DPoP on at the server (or remove a proxy that strips the DPoP header), ' +
    'or allow unbound tokens with dpop: { allowUnbound: true }';
  const details = { error: 'dpop_not_bound', errorDescription: answered };
  return grant === 'login' ? new MisconfiguredError(message, { details }) : new SessionEndedError(message, { details });
}

/** Every token a session holds: its refresh token, the login's access token and each API's. */
export function heldTokens(session: StoredSession | undefined): string[] {
  return session ? [session.refreshToken, session.accessToken, ...Object.values(session.apiTokens ?? {}).map((slot) => slot.accessToken)] : [];
}

/** True when any of `texts` contains any of `tokens` (those shorter than 8 characters could match by chance and are skipped). */
export function containsAny(texts: readonly string[], tokens: ReadonlyArray<string | undefined>): boolean {
  const real = tokens.filter((token): token is string => typeof token === 'string' && token.length >= 8);
  return texts.some((text) => real.some((token) => text.includes(token)));
}
