/** The protected API: Bearer or DPoP tokens of the mock server or the embedded OpenID provider. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { verifyDpopProof } from '../dpop.js';
import { readJsonBody, sendJson, type Routes } from '../http.js';
import type { RouteContext } from './context.js';

/** The demo's second API (`/apis/`): it takes only tokens issued for this audience. */
export const SECOND_API_AUDIENCE = 'https://api-b.demo';

export function apiRoutes({ auth, oidc, origin, state }: RouteContext): Routes {
  /** Checks the API request's token (Bearer or DPoP with its proof); answers 401 and returns undefined when it fails. */
  async function authorizeApi(req: IncomingMessage, res: ServerResponse, method: string, path: string): Promise<string | undefined> {
    return (await authorizeWithTime(req, res, method, path))?.user;
  }

  async function authorizeWithTime(req: IncomingMessage, res: ServerResponse, method: string, path: string, audience?: string): Promise<{ user: string; authTime?: number } | undefined> {
    const authorization = req.headers.authorization;
    const scheme = /^DPoP (\S+)$/.exec(authorization ?? '');
    const proof = scheme ? await verifyDpopProof(req.headers.dpop, { method, url: `${origin}${path}`, accessToken: scheme[1] }, { maxAgeSeconds: state.dpopMaxAgeSeconds }) : undefined;
    const proofJkt = proof?.ok ? proof.jkt : undefined;
    if (proof?.ok && state.requireDpopNonce && proof.nonce !== state.dpopNonce) {
      state.dpopNonceChallenges++;
      res.setHeader('www-authenticate', 'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"');
      res.setHeader('dpop-nonce', state.dpopNonce);
      res.setHeader('access-control-expose-headers', 'www-authenticate, dpop-nonce');
      sendJson(res, 401, { error: 'use_dpop_nonce', error_description: 'Resource server requires nonce in DPoP proof' });
      return undefined;
    }
    const result = oidc ? await oidc.authorize(authorization, proofJkt, audience) : auth.authorize(authorization, proofJkt, audience);
    if (!result.ok) {
      res.setHeader('www-authenticate', `${scheme ? 'DPoP' : 'Bearer'} error="invalid_token", error_description="${result.reason}"`);
      sendJson(res, 401, { error: 'invalid_token', error_description: result.reason });
      return undefined;
    }
    return { user: result.user, authTime: result.authTime };
  }

  return {
    // RFC 9470: an API that needs a login of the last `STEP_UP_MAX_AGE_SECONDS`; an older one
    // gets the step-up challenge (a 401 that asks for a new login, not a refresh).
    'GET /api/recent-login': async (req, res) => {
      const authorized = await authorizeWithTime(req, res, 'GET', '/api/recent-login');
      if (authorized === undefined) return;
      const maxAge = state.stepUpMaxAgeSeconds;
      const age = authorized.authTime === undefined ? Infinity : Math.floor(Date.now() / 1000) - authorized.authTime;
      if (age > maxAge) {
        res.setHeader('www-authenticate', `Bearer error="insufficient_user_authentication", error_description="A more recent authentication is required", max_age=${maxAge}`);
        res.setHeader('access-control-expose-headers', 'www-authenticate');
        return sendJson(res, 401, { error: 'insufficient_user_authentication', error_description: 'A more recent authentication is required' });
      }
      sendJson(res, 200, { user: authorized.user, authTime: authorized.authTime, maxAge });
    },
    // The second API of the several-APIs demo (`/apis/`), served on the second port: another origin, another audience.
    'GET /api/b/data': async (req, res) => {
      const authorized = await authorizeWithTime(req, res, 'GET', '/api/b/data', SECOND_API_AUDIENCE);
      if (authorized === undefined) return;
      sendJson(res, 200, { user: authorized.user, api: 'b', value: Math.round(Math.random() * 1000), at: new Date().toISOString() });
    },
    'GET /api/data': async (req, res) => {
      const user = await authorizeApi(req, res, 'GET', '/api/data');
      if (user === undefined) return;
      sendJson(res, 200, { user, value: Math.round(Math.random() * 1000), at: new Date().toISOString() });
    },
    // The offline demo's writes: kept in the order they arrive, so a page (and a test) sees
    // whether replayed writes came once each and in order. An empty text is refused (422).
    'POST /api/notes': async (req, res) => {
      const user = await authorizeApi(req, res, 'POST', '/api/notes');
      if (user === undefined) return;
      const key = req.headers['idempotency-key'];
      const idempotencyKey = typeof key === 'string' && key.length > 0 && key.length <= 200 ? key : null;
      const seen = idempotencyKey ? state.answeredWrites.get(`${user}\n${idempotencyKey}`) : undefined;
      if (seen) {
        state.writesDeduplicated++;
        if (state.loseWriteAnswers > 0) {
          state.loseWriteAnswers--;
          return void req.socket.destroy();
        }
        return sendJson(res, seen.status, seen.body, { 'idempotent-replayed': 'true' });
      }
      const body = await readJsonBody(req);
      const text = body.text;
      if (typeof text !== 'string' || text.trim() === '' || text.length > 200) {
        return sendJson(res, 422, { error: 'invalid_note', error_description: 'text must be 1 to 200 characters' });
      }
      const note = { n: state.notes.length + 1, text, user, tab: typeof body.tab === 'string' ? body.tab.slice(0, 40) : null, madeAt: typeof body.madeAt === 'number' ? body.madeAt : null, arrivedAt: Date.now(), idempotencyKey };
      state.notes.push(note);
      if (idempotencyKey) state.answeredWrites.set(`${user}\n${idempotencyKey}`, { status: 201, body: { note } });
      if (state.loseWriteAnswers > 0) {
        // Applied, and the answer never reaches the client: what a dropped connection after the commit looks like.
        state.loseWriteAnswers--;
        return void req.socket.destroy();
      }
      sendJson(res, 201, { note });
    },
    'GET /api/notes': async (req, res) => {
      const user = await authorizeApi(req, res, 'GET', '/api/notes');
      if (user === undefined) return;
      sendJson(res, 200, { notes: state.notes });
    },
  };
}
