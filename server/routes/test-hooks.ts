/** Fault injection and witnesses for the end-to-end tests: served only with `testHooks`. */
import { HttpError, readJsonBody, sendJson, type Routes } from '../http.js';
import type { RouteContext } from './context.js';

export function testHookRoutes({ auth, oidc, state }: RouteContext): Routes {
  /** `POST /auth/test/config { quirks }`: each field optional; checked before any is applied. */
  function setQuirks(value: unknown): void {
    if (typeof value !== 'object' || value === null) throw new HttpError(400, 'invalid_request', 'quirks must be an object');
    const q = value as Record<string, unknown>;
    const flag = (name: string) => q[name] === undefined || typeof q[name] === 'boolean';
    if (!flag('ignoreDpop') || !flag('omitExpiresIn') || !flag('jwtAccessTokens') || !flag('requireDpopNonce') || !flag('ignoreAudience')) throw new HttpError(400, 'invalid_request', 'quirk flags must be booleans');
    if (q.jwtClockOffsetMs !== undefined && !Number.isFinite(q.jwtClockOffsetMs)) throw new HttpError(400, 'invalid_request', 'jwtClockOffsetMs must be a number');
    if (q.retryAfterSeconds !== undefined && !(typeof q.retryAfterSeconds === 'number' && q.retryAfterSeconds >= 0)) throw new HttpError(400, 'invalid_request', 'retryAfterSeconds must be >= 0');
    if (q.accessTokenSuffix !== undefined && !(typeof q.accessTokenSuffix === 'string' && q.accessTokenSuffix.length <= 16)) {
      throw new HttpError(400, 'invalid_request', 'accessTokenSuffix must be a short string');
    }
    state.ignoreDpop = (q.ignoreDpop as boolean | undefined) ?? state.ignoreDpop;
    state.requireDpopNonce = (q.requireDpopNonce as boolean | undefined) ?? state.requireDpopNonce;
    state.omitExpiresIn = (q.omitExpiresIn as boolean | undefined) ?? state.omitExpiresIn;
    state.retryAfterSeconds = (q.retryAfterSeconds as number | undefined) ?? state.retryAfterSeconds;
    auth.quirks.jwtAccessTokens = (q.jwtAccessTokens as boolean | undefined) ?? auth.quirks.jwtAccessTokens;
    auth.quirks.jwtClockOffsetMs = (q.jwtClockOffsetMs as number | undefined) ?? auth.quirks.jwtClockOffsetMs;
    auth.quirks.accessTokenSuffix = (q.accessTokenSuffix as string | undefined) ?? auth.quirks.accessTokenSuffix;
    auth.quirks.ignoreAudience = (q.ignoreAudience as boolean | undefined) ?? auth.quirks.ignoreAudience;
  }

  return {
    // An allowlisted API URL that redirects where the test says (sealed mode must not follow it with a token).
    'GET /api/test/redirect': (req, res) => {
      const to = new URL(req.url ?? '/', 'http://x').searchParams.get('to') ?? '/';
      res.writeHead(302, { location: to }).end();
    },
    // A service worker that is not the broker (as Angular's ngsw-worker.js is), allowed the
    // whole origin: a page that registers it for '/' replaces the broker's worker.
    'GET /auth/test/foreign-sw.js': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/javascript', 'service-worker-allowed': '/', 'cache-control': 'no-store' });
      res.end("self.addEventListener('install', () => self.skipWaiting());\nself.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));\n");
    },
    // Outside the allowlist, a 401: sealed mode's page hears of it only from the browser's resource timing.
    'GET /auth/test/unauthorized': (_req, res) => sendJson(res, 401, { error: 'invalid_token' }),
    // Outside the allowlist: records whether a token arrived.
    'GET /auth/test/echo': (req, res) => {
      state.echoes.push({ authorization: req.headers.authorization ?? null });
      sendJson(res, 200, { echoed: true });
    },
    'GET /auth/test/echoes': (_req, res) => sendJson(res, 200, state.echoes),
    'GET /auth/test/logins': (_req, res) => sendJson(res, 200, state.loginLog),
    'POST /auth/test/echoes/reset': (_req, res) => {
      state.echoes = [];
      sendJson(res, 200, state.echoes);
    },
    'POST /auth/test/fault': async (req, res) => {
      const body = await readJsonBody(req);
      const next = body.refresh;
      if (next !== 'none' && next !== '500' && next !== '503' && next !== 'garbage' && next !== 'hang' && next !== 'reset') {
        throw new HttpError(400, 'invalid_request', 'refresh must be none, 500, 503, garbage, hang or reset');
      }
      state.fault = next;
      sendJson(res, 200, { refresh: state.fault });
    },
    'POST /auth/test/config': async (req, res) => {
      const body = await readJsonBody(req);
      const { accessTtlSeconds: ttl, refreshDelayMs: refreshDelay, workerVersion, pwaVersion: nextPwa, rotationGraceMs, rotateWhenClientGone: rotateGone } = body;
      if (rotationGraceMs !== undefined) {
        if (typeof rotationGraceMs !== 'number' || !(rotationGraceMs >= 0)) throw new HttpError(400, 'invalid_request', 'rotationGraceMs must be >= 0');
        auth.rotationGraceMs = rotationGraceMs;
      }
      if (body.dpopMaxAgeSeconds !== undefined) {
        if (typeof body.dpopMaxAgeSeconds !== 'number' || !(body.dpopMaxAgeSeconds > 0)) throw new HttpError(400, 'invalid_request', 'dpopMaxAgeSeconds must be > 0');
        state.dpopMaxAgeSeconds = body.dpopMaxAgeSeconds;
      }
      if (rotateGone !== undefined) {
        if (typeof rotateGone !== 'boolean') throw new HttpError(400, 'invalid_request', 'rotateWhenClientGone must be a boolean');
        state.rotateWhenClientGone = rotateGone;
      }
      if (nextPwa !== undefined) {
        if (nextPwa !== '1' && nextPwa !== '2') throw new HttpError(400, 'invalid_request', "pwaVersion must be '1' or '2'");
        state.pwaVersion = nextPwa;
      }
      if (ttl !== undefined) {
        if (typeof ttl !== 'number' || !(ttl > 0)) throw new HttpError(400, 'invalid_request', 'accessTtlSeconds must be a number > 0');
        auth.accessTtlSeconds = ttl;
      }
      if (refreshDelay !== undefined) {
        if (typeof refreshDelay !== 'number' || !(refreshDelay >= 0)) throw new HttpError(400, 'invalid_request', 'refreshDelayMs must be >= 0');
        state.refreshDelayMs = refreshDelay;
      }
      if (workerVersion !== undefined) {
        if (typeof workerVersion !== 'string' || !/^[\w.-]{0,40}$/.test(workerVersion)) throw new HttpError(400, 'invalid_request', 'bad workerVersion');
        state.workerVersionTag = workerVersion;
      }
      if (body.refreshAnswerDelayMs !== undefined) {
        if (typeof body.refreshAnswerDelayMs !== 'number' || !(body.refreshAnswerDelayMs >= 0)) throw new HttpError(400, 'invalid_request', 'refreshAnswerDelayMs must be >= 0');
        state.refreshAnswerDelayMs = body.refreshAnswerDelayMs;
      }
      if (body.loseWriteAnswers !== undefined) {
        if (!Number.isSafeInteger(body.loseWriteAnswers) || (body.loseWriteAnswers as number) < 0) throw new HttpError(400, 'invalid_request', 'loseWriteAnswers must be an integer >= 0');
        state.loseWriteAnswers = body.loseWriteAnswers as number;
      }
      if (body.stepUpMaxAgeSeconds !== undefined) {
        if (!Number.isSafeInteger(body.stepUpMaxAgeSeconds) || (body.stepUpMaxAgeSeconds as number) < 0) throw new HttpError(400, 'invalid_request', 'stepUpMaxAgeSeconds must be an integer >= 0');
        state.stepUpMaxAgeSeconds = body.stepUpMaxAgeSeconds as number;
      }
      if (body.sessionLimits !== undefined) {
        const limits = body.sessionLimits as Record<string, unknown> | null;
        const seconds = (value: unknown) => value === undefined || (typeof value === 'number' && value > 0);
        if (typeof limits !== 'object' || limits === null || !seconds(limits.idleSeconds) || !seconds(limits.absoluteSeconds)) {
          throw new HttpError(400, 'invalid_request', 'sessionLimits must be { idleSeconds?, absoluteSeconds? } in seconds > 0');
        }
        auth.sessionLimits = { idleSeconds: limits.idleSeconds as number | undefined, absoluteSeconds: limits.absoluteSeconds as number | undefined };
      }
      if (body.quirks !== undefined) setQuirks(body.quirks);
      sendJson(res, 200, {
        quirks: { ...auth.quirks, requireDpopNonce: state.requireDpopNonce, ignoreDpop: state.ignoreDpop, omitExpiresIn: state.omitExpiresIn, retryAfterSeconds: state.retryAfterSeconds },
        accessTtlSeconds: auth.accessTtlSeconds,
        refreshDelayMs: state.refreshDelayMs,
        workerVersion: state.workerVersionTag,
        pwaVersion: state.pwaVersion,
        rotationGraceMs: auth.rotationGraceMs,
        rotateWhenClientGone: state.rotateWhenClientGone,
        dpopMaxAgeSeconds: state.dpopMaxAgeSeconds,
        loseWriteAnswers: state.loseWriteAnswers,
        refreshAnswerDelayMs: state.refreshAnswerDelayMs,
        stepUpMaxAgeSeconds: state.stepUpMaxAgeSeconds,
      });
    },
    'POST /auth/test/network': async (req, res) => {
      const body = await readJsonBody(req);
      if (typeof body.down !== 'boolean') throw new HttpError(400, 'invalid_request', 'down must be a boolean');
      state.networkDown = body.down;
      sendJson(res, 200, { down: state.networkDown });
    },
    'POST /auth/test/expire-access-tokens': (_req, res) => {
      auth.expireAccessTokens();
      sendJson(res, 200, { ok: true });
    },
    'POST /auth/test/revoke-all': (_req, res) => {
      auth.revokeAll();
      sendJson(res, 200, { ok: true });
    },
    'POST /auth/test/refresh-token-active': async (req, res) => {
      const body = await readJsonBody(req);
      const token = body.refreshToken;
      const active = typeof token === 'string' && (oidc ? await oidc.isRefreshTokenActive(token) : auth.isRefreshTokenActive(token));
      sendJson(res, 200, { active });
    },
  };
}
