// @ts-check
/**
 * @jmondi/oauth2-server 4 on Express, for the broker's end-to-end tests: the password and
 * refresh_token grants for a public client, rotation on every refresh and RFC 7009
 * revocation (both the library's), opaque refresh tokens, JWT access tokens. The thin
 * in-memory repositories add reuse detection (a rotated refresh token presented again
 * revokes its whole family), which the library leaves to the repository.
 */
import { AuthorizationServer, JwtService } from '@jmondi/oauth2-server';
import { handleExpressError, handleExpressResponse, requestFromExpress } from '@jmondi/oauth2-server/express';
import { randomUUID } from 'node:crypto';
import { USERS, startServer, zeroStats } from './harness.mjs';

const port = Number(process.env.PORT ?? 5305);
const secret = randomUUID();
const stats = zeroStats();
let accessTtlSeconds = 30;

/** @type {import('@jmondi/oauth2-server').OAuthClient} */
const client = { id: 'spa', name: 'spa', secret: null, redirectUris: [], allowedGrants: ['password', 'refresh_token'], scopes: [] };
/** @type {Map<string, { revoked: boolean }>} */
const families = new Map();
/** @typedef {import('@jmondi/oauth2-server').OAuthToken & { revoked?: boolean, user: { id: string, family: string } }} Token */
/** @type {Map<string, Token>} */
const byAccessToken = new Map();
/** @type {Map<string, Token>} */
const byRefreshToken = new Map();

/** @type {import('@jmondi/oauth2-server').OAuthClientRepository} */
const clientRepository = {
  async getByIdentifier(clientId) {
    if (clientId !== client.id) throw new Error(`unknown client ${clientId}`);
    return client;
  },
  async isClientValid(grantType, candidate) {
    return candidate.allowedGrants.includes(grantType);
  },
};

/** @type {import('@jmondi/oauth2-server').OAuthScopeRepository} */
const scopeRepository = {
  async getAllByIdentifiers() {
    return [];
  },
  async finalize(scopes) {
    return scopes;
  },
};

/** @type {import('@jmondi/oauth2-server').OAuthUserRepository} */
const userRepository = {
  async getUserByCredentials(identifier, password) {
    if (USERS[/** @type {'demo'} */ (String(identifier))] !== password) {
      stats.loginsFailed++;
      return undefined;
    }
    stats.logins++;
    const family = randomUUID();
    families.set(family, { revoked: false });
    return { id: String(identifier), family };
  },
};

/** @type {import('@jmondi/oauth2-server').OAuthTokenRepository} */
const tokenRepository = {
  async issueToken(tokenClient, scopes, user) {
    return { accessToken: randomUUID(), accessTokenExpiresAt: new Date(), client: tokenClient, user, scopes };
  },
  async persist(token) {
    // The lifetime the tests set, rather than the one the grant was enabled with.
    token.accessTokenExpiresAt = new Date(Date.now() + accessTtlSeconds * 1000);
    byAccessToken.set(token.accessToken, /** @type {Token} */ (token));
  },
  async issueRefreshToken(token) {
    token.refreshToken = randomUUID();
    token.refreshTokenExpiresAt = new Date(Date.now() + 24 * 3600_000);
    byRefreshToken.set(token.refreshToken, /** @type {Token} */ (token));
    return token;
  },
  async revoke(token) {
    /** @type {Token} */ (token).revoked = true;
  },
  async isRefreshTokenRevoked(token) {
    const saved = byRefreshToken.get(token.refreshToken ?? '');
    const family = saved && families.get(saved.user.family);
    if (!saved || !family || family.revoked) {
      stats.refreshesRejected++;
      return true;
    }
    if (saved.revoked) {
      // Reuse of a rotated token: assume it was stolen, end every session of the family.
      stats.reuseDetected++;
      stats.refreshesRejected++;
      family.revoked = true;
      return true;
    }
    return false;
  },
  async getByRefreshToken(refreshToken) {
    const saved = byRefreshToken.get(refreshToken);
    if (!saved) {
      stats.refreshesRejected++;
      throw new Error('unknown refresh token');
    }
    return saved;
  },
  async getByAccessToken(accessToken) {
    const saved = byAccessToken.get(accessToken);
    if (!saved) throw new Error('unknown access token');
    return saved;
  },
};

const jwt = new JwtService(secret);
const authorizationServer = new AuthorizationServer(clientRepository, tokenRepository, scopeRepository, jwt, {
  requiresPKCE: false,
  authenticateRevoke: false, // a public client has no secret to authenticate with
  useOpaqueRefreshTokens: true,
});
authorizationServer.enableGrantTypes('refresh_token', 'client_credentials', { grant: 'password', userRepository });

startServer({
  name: '@jmondi/oauth2-server',
  port,
  stats,
  mountOAuth(app) {
    app.post('/oauth/token', async (req, res) => {
      try {
        handleExpressResponse(res, await authorizationServer.respondToAccessTokenRequest(requestFromExpress(req)));
      } catch (error) {
        handleExpressError(error, res);
      }
    });
    app.post('/oauth/revoke', async (req, res) => {
      // Logout ends the session: the library revokes the token, the family goes with it.
      const saved = byRefreshToken.get(String(req.body?.token ?? ''));
      const family = saved && families.get(saved.user.family);
      if (family && !family.revoked) {
        family.revoked = true;
        stats.revocations++;
      }
      try {
        handleExpressResponse(res, await authorizationServer.revoke(requestFromExpress(req)));
      } catch (error) {
        handleExpressError(error, res);
      }
    });
  },
  async authorize(authorization) {
    const match = /^Bearer (\S+)$/.exec(authorization ?? '');
    if (!match) return undefined;
    try {
      const claims = await jwt.verify(match[1]);
      const saved = byAccessToken.get(String(claims.jti));
      if (!saved || saved.accessTokenExpiresAt.getTime() <= Date.now() || families.get(saved.user.family)?.revoked) return undefined;
      return saved.user.id;
    } catch {
      return undefined;
    }
  },
  setAccessTtl: (seconds) => void (accessTtlSeconds = seconds),
  expireAccessTokens() {
    for (const token of byAccessToken.values()) token.accessTokenExpiresAt = new Date(0);
  },
  revokeAll() {
    for (const family of families.values()) family.revoked = true;
  },
  async isRefreshTokenActive(refreshToken) {
    const saved = byRefreshToken.get(refreshToken);
    return !!saved && !saved.revoked && !families.get(saved.user.family)?.revoked;
  },
});
