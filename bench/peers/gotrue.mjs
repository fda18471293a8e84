// @ts-check
/**
 * A GoTrue-compatible auth endpoint for supabase auth-js in the peer comparison (Supabase's
 * server, GoTrue, is not available here). It follows GoTrue's refresh-token rules
 * (refresh token algorithm 1, the default), from supabase/auth:
 *   - internal/tokens/service.go, RefreshTokenGrant: a revoked refresh token that is the
 *     parent of the session's currently active one gets that active token back, no new one
 *     ("the client was not able to store the result"); another revoked one is accepted within
 *     `RefreshTokenReuseInterval` seconds of its revocation, else the whole token family is
 *     revoked and the answer is 400 `refresh_token_already_used`;
 *   - internal/models/refresh_token.go, GrantRefreshTokenSwap and RevokeTokenFamily: a swap
 *     revokes the presented token and issues a child whose parent it is; the family is every
 *     token of the session;
 *   - internal/models/sessions.go, FindCurrentlyActiveRefreshToken: the session's newest
 *     token not revoked; Logout, LogoutSession and LogoutAllExceptMe (internal/api/logout.go,
 *     by `scope`): the sessions deleted, their refresh tokens with them.
 * Access tokens are HS256 JWTs (GoTrue's default), checked by the API by signature and `exp`.
 * Routes under `/auth/v1`: `POST /token?grant_type=password|refresh_token`, `GET /user`,
 * `POST /logout`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';

/** @typedef {{ token: string, sessionId: string, parent: string | null, revoked: boolean, updatedAt: number }} RefreshToken */

const SECRET = new TextEncoder().encode(randomBytes(32).toString('hex'));
const USER = { id: randomUUID(), aud: 'authenticated', role: 'authenticated', email: 'alice@example.test', app_metadata: { provider: 'email' }, user_metadata: {}, identities: [], created_at: new Date().toISOString() };

/**
 * @param {{ issuer: string, accessTtl: () => number, reuseIntervalS: () => number, onRefresh: (outcome: 'ok' | 'reused' | 'rejected') => void, onLogin: () => void }} options
 */
export function createGoTrue({ issuer, accessTtl, reuseIntervalS, onRefresh, onLogin }) {
  /** @type {Map<string, RefreshToken>} */
  const tokens = new Map();
  /** Newest first per session, as GoTrue orders by id. @type {Map<string, RefreshToken[]>} */
  const sessions = new Map();

  /** @param {string} sessionId @param {string | null} parent */
  const issueRefreshToken = (sessionId, parent) => {
    const token = { token: randomBytes(9).toString('base64url'), sessionId, parent, revoked: false, updatedAt: Date.now() };
    tokens.set(token.token, token);
    sessions.set(sessionId, [token, ...(sessions.get(sessionId) ?? [])]);
    return token;
  };
  /** @param {string} sessionId @param {string} refreshToken */
  const sessionAnswer = async (sessionId, refreshToken) => {
    const expiresIn = accessTtl();
    const now = Math.floor(Date.now() / 1000);
    const accessToken = await new SignJWT({ role: USER.role, session_id: sessionId, email: USER.email, aal: 'aal1' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(USER.id)
      .setAudience(USER.aud)
      .setIssuer(issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + expiresIn)
      .sign(SECRET);
    return { access_token: accessToken, token_type: 'bearer', expires_in: expiresIn, expires_at: now + expiresIn, refresh_token: refreshToken, user: USER };
  };
  /** @param {string} presented */
  const refresh = async (presented) => {
    const token = tokens.get(presented);
    if (!token) return { status: 400, body: { code: 400, error_code: 'refresh_token_not_found', msg: 'Invalid Refresh Token: Refresh Token Not Found' } };
    const family = sessions.get(token.sessionId) ?? [];
    let issued = null;
    if (token.revoked) {
      const active = family.find((each) => !each.revoked);
      if (active && active.parent === token.token) issued = active;
      else if (Date.now() > token.updatedAt + reuseIntervalS() * 1000) {
        // Rotation is on (Supabase's default): reuse revokes the family.
        for (const each of family) if (!each.revoked) Object.assign(each, { revoked: true, updatedAt: Date.now() });
        onRefresh('reused');
        return { status: 400, body: { code: 400, error_code: 'refresh_token_already_used', msg: 'Invalid Refresh Token: Already Used' } };
      }
    }
    if (!issued) {
      Object.assign(token, { revoked: true, updatedAt: Date.now() });
      issued = issueRefreshToken(token.sessionId, token.token);
    }
    onRefresh('ok');
    return { status: 200, body: await sessionAnswer(token.sessionId, issued.token) };
  };

  return {
    /** The user of a valid, unexpired access token, else undefined. @param {string} token */
    userOf: (token) => jwtVerify(token, SECRET, { issuer, audience: USER.aud }).then(({ payload }) => payload.sub, () => undefined),
    /** The refresh tokens issued and not revoked: what a page that can read one would find. */
    liveRefreshTokens: () => [...tokens.values()].filter((each) => !each.revoked).map((each) => each.token),
    /**
     * Answers a request under `/auth/v1`, or returns false.
     * @param {string} method @param {URL} url @param {() => Promise<any>} readJson @param {string | undefined} authorization
     * @returns {Promise<{ status: number, body: unknown } | false>}
     */
    async handle(method, url, readJson, authorization) {
      const path = url.pathname.replace(/^\/auth\/v1/, '');
      if (path === url.pathname) return false;
      if (method === 'POST' && path === '/token') {
        const body = await readJson();
        const grant = url.searchParams.get('grant_type');
        if (grant === 'password') {
          onLogin();
          const sessionId = randomUUID();
          return { status: 200, body: await sessionAnswer(sessionId, issueRefreshToken(sessionId, null).token) };
        }
        if (grant === 'refresh_token') return refresh(String(body.refresh_token ?? ''));
        return { status: 400, body: { code: 400, error_code: 'validation_failed', msg: `unsupported grant_type ${grant}` } };
      }
      const bearer = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
      const user = bearer ? await jwtVerify(bearer, SECRET, { issuer }).then(({ payload }) => payload, () => undefined) : undefined;
      if (!user) return { status: 401, body: { code: 401, error_code: 'bad_jwt', msg: 'invalid JWT' } };
      if (method === 'GET' && path === '/user') return { status: 200, body: USER };
      if (method === 'POST' && path === '/logout') {
        // GoTrue deletes the sessions, and their refresh tokens with them (not revoked: gone,
        // so no reuse interval applies): global (the default) every session of the user, local
        // this one, others every other one.
        const scope = url.searchParams.get('scope') ?? 'global';
        const current = String(user.session_id);
        for (const sessionId of [...sessions.keys()]) {
          if (scope === 'local' ? sessionId !== current : scope === 'others' ? sessionId === current : false) continue;
          for (const each of sessions.get(sessionId) ?? []) tokens.delete(each.token);
          sessions.delete(sessionId);
        }
        return { status: 204, body: null };
      }
      return { status: 404, body: { code: 404, error_code: 'not_found', msg: 'not found' } };
    },
  };
}
