/** The demo's own controls and the stats contract (../shared/DESIGN.md): what the demo pages and the benchmark read and press. */
import { SECOND_API_AUDIENCE } from './api.js';
import { HttpError, readJsonBody, sendJson, type Routes } from '../http.js';
import type { RouteContext } from './context.js';

export function demoRoutes({ auth, oidc, origin, vaultOrigin, state }: RouteContext): Routes {
  return {
    // The counters, and whether the demo's network switch is down (its offline panel shows it in every tab).
    'GET /auth/stats': (_req, res) =>
      sendJson(res, 200, { ...auth.stats, networkDown: state.networkDown, writesDeduplicated: state.writesDeduplicated, refreshesReceived: state.refreshesReceived, dpopNonceChallenges: state.dpopNonceChallenges }),
    'POST /auth/stats/reset': (_req, res) => {
      auth.resetStats();
      state.clearRecords();
      sendJson(res, 200, auth.stats);
    },
    // The demo's "Expire the access token at the server": the API starts answering 401 before
    // the clients think the token is due, which shows the 401 path (the mock server only).
    'POST /auth/demo/expire-access-tokens': (_req, res) => {
      if (oidc) throw new HttpError(501, 'not_supported', 'With IDP=oidc the access tokens are oidc-provider\'s: wait for them to expire');
      auth.expireAccessTokens();
      sendJson(res, 200, { ok: true });
    },
    'GET /auth/config': (_req, res) => sendJson(res, 200, { accessTtlSeconds: auth.accessTtlSeconds, idp: oidc ? 'oidc' : 'mock', vaultOrigin: vaultOrigin ?? null }),
    // The several-APIs demo's worker configuration (importScripts): where the second API is, and its audience.
    'GET /apis/config.js': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
      const config = { secondApi: `${vaultOrigin ?? origin}/api/b/`, audience: SECOND_API_AUDIENCE, idp: oidc ? 'oidc' : 'mock' };
      res.end(`self.SW_TOKEN_BROKER_APIS = ${JSON.stringify(config)};\n`);
    },
    // The vault's fixed configuration, loaded by its worker with importScripts: which app origin it serves.
    'GET /vault-frame/config.js': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
      const config = { appOrigin: origin, idp: oidc ? 'oidc' : 'mock' };
      res.end(`self.SW_TOKEN_BROKER_VAULT = ${JSON.stringify(config)};\n`);
    },
    // What POST /api/notes received, in order, for the offline panel (and the tests) to show
    // without an API call: the demo calls the API only when a button is pressed.
    'GET /auth/demo/notes': (_req, res) => sendJson(res, 200, { notes: state.notes }),
    // The offline demo's "network down": every connection but the demo's own controls (/auth/demo/) and
    // the stats is dropped, which a browser sees as offline (the mock server only).
    'POST /auth/demo/network': async (req, res) => {
      if (oidc) throw new HttpError(501, 'not_supported', 'With IDP=oidc use the browser\'s own offline switch (DevTools)');
      const body = await readJsonBody(req);
      if (typeof body.down !== 'boolean') throw new HttpError(400, 'invalid_request', 'down must be a boolean');
      state.networkDown = body.down;
      sendJson(res, 200, { down: state.networkDown });
    },
  };
}
