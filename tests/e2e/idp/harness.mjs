// @ts-check
/**
 * What both third-party OAuth servers share in the tests: an Express app on 127.0.0.1
 * that serves the fixture page and worker (so the token endpoint is same-origin), a
 * protected API, counters like the demo server's, and test switches (latency and a 500
 * outage on the refresh grant, expiring access tokens, revoking every session). The OAuth
 * protocol itself (token endpoint, rotation, revocation) is the library's.
 */
import express from 'express';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const fixtureRoot = fileURLToPath(new URL('../../../dist/idp/', import.meta.url));

export const USERS = { demo: 'demo' };

/** Counters the tests read: `refreshes` counts every refresh grant that reached the server, accepted or not. */
export function zeroStats() {
  return { logins: 0, loginsFailed: 0, refreshes: 0, refreshesRejected: 0, reuseDetected: 0, revocations: 0, apiCalls: 0, api401: 0 };
}

/**
 * Starts one server.
 *
 * @param {object} options
 * @param {string} options.name shown in the page title and the log line
 * @param {number} options.port
 * @param {ReturnType<typeof zeroStats>} options.stats the counters the OAuth model updates too
 * @param {(app: import('express').Express) => void} options.mountOAuth adds POST /oauth/token and POST /oauth/revoke
 * @param {(authorization: string | undefined) => Promise<string | undefined>} options.authorize the user of a valid bearer token, else undefined
 * @param {(seconds: number) => void} options.setAccessTtl
 * @param {() => void} options.expireAccessTokens
 * @param {() => void} options.revokeAll
 * @param {(refreshToken: string) => Promise<boolean>} options.isRefreshTokenActive
 */
export function startServer(options) {
  const { stats } = options;
  let refreshDelayMs = 0;
  /** @type {'none' | '500'} */
  let fault = 'none';
  const app = express();
  app.disable('x-powered-by');
  app.use(express.urlencoded({ extended: false }));
  app.use(express.json());

  app.get('/', (_req, res) => {
    res.type('html').send(`<!doctype html><html><head><meta charset="utf-8"><title>${options.name}</title></head><body><script src="/page.js"></script></body></html>`);
  });
  for (const file of ['page.js', 'sw.js']) {
    app.get(`/${file}`, async (_req, res) => {
      res.type('text/javascript').set('cache-control', 'no-cache').send(await readFile(`${fixtureRoot}${file}`, 'utf8'));
    });
  }
  // A lightweight same-origin page for the tests' BroadcastChannel starter.
  app.get('/auth/config', (_req, res) => void res.json({ idp: options.name }));

  // Latency and outages on the refresh grant, in front of the library's token endpoint.
  app.post('/oauth/token', async (req, res, next) => {
    if (req.body?.grant_type !== 'refresh_token') return next();
    stats.refreshes++;
    if (fault === '500') return void res.status(500).json({ error: 'server_error', error_description: 'Injected outage' });
    // The server goes on even when the client went away: it rotates whether or not anyone listens.
    if (refreshDelayMs) await new Promise((resolve) => setTimeout(resolve, refreshDelayMs));
    next();
  });
  options.mountOAuth(app);

  app.get('/api/data', async (req, res) => {
    stats.apiCalls++;
    const user = await options.authorize(req.headers.authorization);
    if (!user) {
      stats.api401++;
      return void res.status(401).set('www-authenticate', 'Bearer error="invalid_token"').json({ error: 'invalid_token' });
    }
    res.json({ user, value: Math.round(Math.random() * 1000) });
  });

  app.get('/auth/stats', (_req, res) => void res.json(stats));
  app.post('/auth/stats/reset', (_req, res) => {
    Object.assign(stats, zeroStats());
    res.json(stats);
  });
  app.post('/auth/test/config', (req, res) => {
    const body = req.body ?? {};
    if (body.accessTtlSeconds !== undefined) options.setAccessTtl(Number(body.accessTtlSeconds));
    if (body.refreshDelayMs !== undefined) refreshDelayMs = Number(body.refreshDelayMs);
    if (body.fault !== undefined) fault = body.fault === '500' ? '500' : 'none';
    res.json({ refreshDelayMs, fault });
  });
  app.post('/auth/test/expire-access-tokens', (_req, res) => {
    options.expireAccessTokens();
    res.json({ ok: true });
  });
  app.post('/auth/test/revoke-all', (_req, res) => {
    options.revokeAll();
    res.json({ ok: true });
  });
  app.post('/auth/test/refresh-token-active', async (req, res) => {
    res.json({ active: await options.isRefreshTokenActive(String(req.body?.refreshToken ?? '')) });
  });

  const server = app.listen(options.port, '127.0.0.1', () => {
    console.log(`${options.name} on http://127.0.0.1:${options.port}/`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return server;
}
