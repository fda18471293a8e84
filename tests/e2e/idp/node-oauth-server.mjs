// @ts-check
/**
 * @node-oauth/oauth2-server 5 on Express, for the broker's end-to-end tests: the password
 * and refresh_token grants for a public client, rotation on every refresh (the library's
 * default), and a thin in-memory model that adds what the library leaves to the model:
 * reuse detection (a rotated refresh token presented again revokes its whole family) and
 * RFC 7009 revocation (the library has no revocation endpoint).
 */
import OAuth2Server from '@node-oauth/oauth2-server';
import { randomUUID } from 'node:crypto';
import { USERS, startServer, zeroStats } from './harness.mjs';

const port = Number(process.env.PORT ?? 5304);
const stats = zeroStats();
let accessTokenLifetime = 30;

/** @typedef {{ id: string, family: string }} User */
/** @type {Map<string, { revoked: boolean }>} */
const families = new Map();
/** @type {Map<string, any>} access token -> saved token */
const accessTokens = new Map();
/** @type {Map<string, { token: any, rotated: boolean }>} refresh token -> saved token */
const refreshTokens = new Map();
const client = { id: 'spa', grants: ['password', 'refresh_token'] };

const model = {
  async getClient(/** @type {string} */ clientId) {
    return clientId === client.id ? client : null;
  },
  async getUser(/** @type {string} */ username, /** @type {string} */ password) {
    if (USERS[/** @type {'demo'} */ (username)] !== password) {
      stats.loginsFailed++;
      return null;
    }
    stats.logins++;
    const family = randomUUID();
    families.set(family, { revoked: false });
    return { id: username, family };
  },
  async saveToken(/** @type {any} */ token, /** @type {any} */ savedClient, /** @type {User} */ user) {
    const saved = { ...token, client: savedClient, user };
    accessTokens.set(token.accessToken, saved);
    if (token.refreshToken) refreshTokens.set(token.refreshToken, { token: saved, rotated: false });
    return saved;
  },
  async getAccessToken(/** @type {string} */ accessToken) {
    const saved = accessTokens.get(accessToken);
    return saved && !families.get(saved.user.family)?.revoked ? saved : null;
  },
  async getRefreshToken(/** @type {string} */ refreshToken) {
    const record = refreshTokens.get(refreshToken);
    const family = record && families.get(record.token.user.family);
    if (!record || !family || family.revoked) {
      stats.refreshesRejected++;
      return null;
    }
    if (record.rotated) {
      // Reuse of a rotated token: assume it was stolen, end every session of the family.
      stats.reuseDetected++;
      stats.refreshesRejected++;
      family.revoked = true;
      return null;
    }
    return record.token;
  },
  async revokeToken(/** @type {any} */ token) {
    const record = refreshTokens.get(token.refreshToken);
    if (!record || record.rotated) return false;
    record.rotated = true;
    return true;
  },
  async verifyScope() {
    return true;
  },
};

const oauth = new OAuth2Server({ model });

startServer({
  name: '@node-oauth/oauth2-server',
  port,
  stats,
  mountOAuth(app) {
    app.post('/oauth/token', async (req, res) => {
      const request = new OAuth2Server.Request(req);
      const response = new OAuth2Server.Response(res);
      try {
        await oauth.token(request, response, { requireClientAuthentication: { password: false, refresh_token: false }, accessTokenLifetime });
      } catch {
        // The library has put the error (status, body) on the response.
      }
      res.set(response.headers).status(response.status ?? 500).json(response.body);
    });
    app.post('/oauth/revoke', (req, res) => {
      const record = refreshTokens.get(String(req.body?.token ?? ''));
      const family = record && families.get(record.token.user.family);
      if (family && !family.revoked) {
        family.revoked = true;
        stats.revocations++;
      }
      res.status(200).end();
    });
  },
  async authorize(authorization) {
    const request = new OAuth2Server.Request({ method: 'GET', query: {}, headers: { authorization: authorization ?? '' } });
    try {
      const token = await oauth.authenticate(request, new OAuth2Server.Response());
      return token.user.id;
    } catch {
      return undefined;
    }
  },
  setAccessTtl: (seconds) => void (accessTokenLifetime = seconds),
  expireAccessTokens() {
    for (const token of accessTokens.values()) token.accessTokenExpiresAt = new Date(0);
  },
  revokeAll() {
    for (const family of families.values()) family.revoked = true;
  },
  async isRefreshTokenActive(refreshToken) {
    const record = refreshTokens.get(refreshToken);
    return !!record && !record.rotated && !families.get(record.token.user.family)?.revoked;
  },
});
