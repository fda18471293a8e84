/** The demo's HTTP server: the mock auth server, the protected API, and the built demo files. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { MockAuth, type GrantResult } from './auth.js';
import { verifyDpopProof } from './dpop.js';
import type { EmbeddedProvider, createOidcProvider } from './oidc.js';

export interface AppOptions {
  accessTtlSeconds: number;
  /** Folder of the built demo; omitted: no static files. */
  staticRoot?: string;
  /** Simulated token-endpoint latency, so tabs racing on the recipe page overlap as on a real network. */
  refreshDelayMs?: number;
  /** Enables `/auth/test/*`: fault injection for the end-to-end tests. */
  testHooks?: boolean;
  /**
   * Set for IDP=oidc: creates the embedded oidc-provider (mounted under /oidc). Passed in,
   * so the mock-only server never loads oidc-provider.
   */
  createOidc?: typeof createOidcProvider;
  /** The origin the server is reached at (needed for the OpenID provider's issuer). */
  origin?: string;
  /** A second build of the example PWA, served at /pwa/ once a test publishes it (`pwaVersion: '2'`). */
  pwaV2Root?: string;
  /** How long a rotated refresh token is still accepted, in ms (env `ROTATION_GRACE_MS`, default 0). */
  rotationGraceMs?: number;
  /**
   * Origins allowed to call `/api/` cross-origin with credentials in headers (CORS): the
   * vault's origin, whose worker makes the app's API requests in vault mode.
   */
  corsOrigins?: string[];
  /** Vault mode's demo: the vault's origin (another port of this server, same site as the app). */
  vaultOrigin?: string;
}

/** What a test can make the refresh endpoints do. */
export type RefreshFault = 'none' | '500' | '503' | 'garbage' | 'hang' | 'reset';

const MAX_BODY_BYTES = 64 * 1024;
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

export function createApp(options: AppOptions): { server: Server; auth: MockAuth; setFault(fault: RefreshFault): void } {
  const auth = new MockAuth({ accessTtlSeconds: options.accessTtlSeconds, rotationGraceMs: options.rotationGraceMs });
  const origin = options.origin ?? 'http://127.0.0.1';
  const oidc: EmbeddedProvider | undefined = options.createOidc?.({ origin, vaultOrigin: options.vaultOrigin, stats: () => auth.stats, accessTtlSeconds: () => auth.accessTtlSeconds });
  let fault: RefreshFault = 'none';
  let refreshDelayMs = options.refreshDelayMs ?? 0;
  /** Appended to the served worker scripts, so a test can publish a new worker version. */
  let workerVersionTag = '';
  /**
   * True: every request but the test hooks and stats has its connection dropped, which a
   * browser sees as being offline (for engines whose automation cannot emulate offline).
   */
  let networkDown = false;
  /** Which build of the example PWA is served at /pwa/. */
  let pwaVersion = '1';
  /**
   * False (the default): a refresh whose client went away before the answer is not rotated,
   * the lenient rule a grace period gives on real servers. True: rotated anyway, as a real
   * server without a grace period does, so a test can show what a grace period changes.
   */
  let rotateWhenClientGone = false;
  /** How old a DPoP proof may be, in seconds (RFC 9449 §11.1 leaves the window to the server). */
  let dpopMaxAgeSeconds = 60;
  /**
   * Quirks of real deployments, for the fault tests: a server (or a proxy) that ignores
   * DPoP proofs, one that sends no `expires_in`, and a `Retry-After` on injected outages.
   */
  let ignoreDpop = false;
  let omitExpiresIn = false;
  let retryAfterSeconds = 0;
  const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** `POST /api/notes`: what arrived, in order; cleared with the stats. */
  let notes: Array<{ n: number; text: string; user: string; tab: string | null; madeAt: number | null; arrivedAt: number; idempotencyKey: string | null }> = [];
  /**
   * `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header) → the first answer to the
   * write that carried it, per user: the same key gets that answer again, never a second write.
   */
  let answeredWrites = new Map<string, { status: number; body: unknown }>();
  /** Writes answered from `answeredWrites` (a repeat the server recognised). */
  let writesDeduplicated = 0;
  /** Refresh requests that arrived, counted before the simulated latency (`refreshes` counts them once the server looked). */
  let refreshesReceived = 0;
  /** When each successful login was granted, and to whom (`GET /auth/test/logins`: the soak's witness of who was logged in when). */
  let loginLog: Array<{ user: string; at: number }> = [];
  const logged = (grant: GrantResult, user: unknown): GrantResult => {
    if (grant.ok && typeof user === 'string' && loginLog.length < 10_000) loginLog.push({ user, at: Date.now() });
    return grant;
  };
  /** Test hook: how long a refresh's answer takes on its way back, after the server rotated (a slow network). */
  let refreshAnswerDelayMs = 0;
  /** Test hook: this many writes are applied and then their answer is lost (the connection dropped). */
  let loseWriteAnswers = 0;

  /** Checks the API request's token (Bearer or DPoP with its proof); answers 401 and returns undefined when it fails. */
  async function authorizeApi(req: IncomingMessage, res: ServerResponse, method: string, path: string): Promise<string | undefined> {
    const authorization = req.headers.authorization;
    const scheme = /^DPoP (\S+)$/.exec(authorization ?? '');
    const proof = scheme ? await verifyDpopProof(req.headers.dpop, { method, url: `${origin}${path}`, accessToken: scheme[1] }, { maxAgeSeconds: dpopMaxAgeSeconds }) : undefined;
    const proofJkt = proof?.ok ? proof.jkt : undefined;
    const result = oidc ? await oidc.authorize(authorization, proofJkt) : auth.authorize(authorization, proofJkt);
    if (!result.ok) {
      res.setHeader('www-authenticate', `${scheme ? 'DPoP' : 'Bearer'} error="invalid_token", error_description="${result.reason}"`);
      sendJson(res, 401, { error: 'invalid_token', error_description: result.reason });
      return undefined;
    }
    return result.user;
  }

  /**
   * Runs a refresh with the configured latency and fault; true when the response was
   * already handled. A client that went away before the answer (a stopped worker) gets no
   * rotation unless `rotateWhenClientGone`: by default the server commits a rotation only
   * when it can deliver the new token, which is what a reuse interval or grace period does
   * on real servers.
   */
  async function refreshGate(res: ServerResponse, rotate: () => void): Promise<boolean> {
    refreshesReceived++;
    let clientGone = false;
    res.on('close', () => {
      if (!res.writableFinished) clientGone = true;
    });
    if (refreshDelayMs) await delay(refreshDelayMs);
    if (clientGone) {
      if (rotateWhenClientGone) rotate();
      else auth.stats.refreshes++;
      auth.stats.refreshesAbandoned++;
      return true;
    }
    if (fault === 'none') return false;
    auth.stats.refreshes++;
    const retryAfter: Record<string, string> = retryAfterSeconds ? { 'retry-after': String(retryAfterSeconds) } : {};
    if (fault === '503') sendJson(res, 503, { error: 'temporarily_unavailable', error_description: 'Injected outage' }, retryAfter);
    else if (fault === '500') sendJson(res, 500, { error: 'server_error', error_description: 'Injected failure' });
    else if (fault === 'garbage') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('<html>this is not json');
    } else if (fault === 'reset') res.socket?.destroy();
    // 'hang': never answer; the broker's timeout must handle it.
    return true;
  }

  type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

  /** The mock auth server and the API: one handler per `METHOD /path`. */
  const routes: Record<string, Handler> = {
    // The counters, and whether the demo's network switch is down (its offline panel shows it in every tab).
    'GET /auth/stats': (_req, res) => sendJson(res, 200, { ...auth.stats, networkDown, writesDeduplicated, refreshesReceived }),
    'POST /auth/stats/reset': (_req, res) => {
      auth.resetStats();
      notes = [];
      answeredWrites = new Map();
      writesDeduplicated = 0;
      refreshesReceived = 0;
      loginLog = [];
      sendJson(res, 200, auth.stats);
    },
    // The demo's "Expire the access token at the server": the API starts answering 401 before
    // the clients think the token is due, which shows the 401 path (the mock server only).
    'POST /auth/demo/expire-access-tokens': (_req, res) => {
      if (oidc) throw new HttpError(501, 'not_supported', 'With IDP=oidc the access tokens are oidc-provider\'s: wait for them to expire');
      auth.expireAccessTokens();
      sendJson(res, 200, { ok: true });
    },
    'GET /auth/config': (_req, res) => sendJson(res, 200, { accessTtlSeconds: auth.accessTtlSeconds, idp: oidc ? 'oidc' : 'mock', vaultOrigin: options.vaultOrigin ?? null }),
    // The vault's fixed configuration, loaded by its worker with importScripts: which app origin it serves.
    'GET /vault-frame/config.js': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
      const config = { appOrigin: origin, idp: oidc ? 'oidc' : 'mock' };
      res.end(`self.SW_TOKEN_BROKER_VAULT = ${JSON.stringify(config)};\n`);
    },

    // Custom JSON flavour.
    'POST /auth/login': async (req, res) => {
      const body = await readJsonBody(req);
      sendGrant(res, logged(auth.login(body.username, body.password), body.username), 'json', omitExpiresIn);
    },
    'POST /auth/refresh': async (req, res) => {
      const body = await readJsonBody(req);
      if (await refreshGate(res, () => auth.refresh(body.refreshToken))) return;
      const grant = auth.refresh(body.refreshToken);
      if (refreshAnswerDelayMs) await delay(refreshAnswerDelayMs);
      sendGrant(res, grant, 'json', omitExpiresIn);
    },
    'POST /auth/logout': async (req, res) => {
      const body = await readJsonBody(req);
      auth.revoke(body.refreshToken);
      sendJson(res, 200, { ok: true });
    },

    // Standard OAuth 2 flavour (RFC 6749 token endpoint, RFC 7009 revocation), with DPoP (RFC 9449).
    'POST /oauth/token': async (req, res) => {
      const form = await readFormBody(req);
      const grantType = form.get('grant_type');
      let jkt: string | undefined;
      if (req.headers.dpop !== undefined && !ignoreDpop) {
        const proof = await verifyDpopProof(req.headers.dpop, { method: 'POST', url: `${origin}/oauth/token` }, { maxAgeSeconds: dpopMaxAgeSeconds });
        if (!proof.ok) return sendJson(res, 400, { error: 'invalid_dpop_proof', error_description: proof.reason });
        jkt = proof.jkt;
      }
      if (grantType === 'password') return sendGrant(res, logged(auth.login(form.get('username'), form.get('password'), jkt), form.get('username')), 'oauth', omitExpiresIn);
      if (grantType === 'refresh_token') {
        if (await refreshGate(res, () => auth.refresh(form.get('refresh_token'), jkt))) return;
        const grant = auth.refresh(form.get('refresh_token'), jkt);
        if (refreshAnswerDelayMs) await delay(refreshAnswerDelayMs);
        return sendGrant(res, grant, 'oauth', omitExpiresIn);
      }
      sendJson(res, 400, { error: 'unsupported_grant_type', error_description: `Unsupported grant_type: ${grantType}` });
    },
    'POST /oauth/revoke': async (req, res) => {
      const form = await readFormBody(req);
      auth.revoke(form.get('token'));
      res.writeHead(200).end();
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
      const seen = idempotencyKey ? answeredWrites.get(`${user}\n${idempotencyKey}`) : undefined;
      if (seen) {
        writesDeduplicated++;
        if (loseWriteAnswers > 0) {
          loseWriteAnswers--;
          return void req.socket.destroy();
        }
        return sendJson(res, seen.status, seen.body, { 'idempotent-replayed': 'true' });
      }
      const body = await readJsonBody(req);
      const text = body.text;
      if (typeof text !== 'string' || text.trim() === '' || text.length > 200) {
        return sendJson(res, 422, { error: 'invalid_note', error_description: 'text must be 1 to 200 characters' });
      }
      const note = { n: notes.length + 1, text, user, tab: typeof body.tab === 'string' ? body.tab.slice(0, 40) : null, madeAt: typeof body.madeAt === 'number' ? body.madeAt : null, arrivedAt: Date.now(), idempotencyKey };
      notes.push(note);
      if (idempotencyKey) answeredWrites.set(`${user}\n${idempotencyKey}`, { status: 201, body: { note } });
      if (loseWriteAnswers > 0) {
        // Applied, and the answer never reaches the client: what a dropped connection after the commit looks like.
        loseWriteAnswers--;
        return void req.socket.destroy();
      }
      sendJson(res, 201, { note });
    },
    'GET /api/notes': async (req, res) => {
      const user = await authorizeApi(req, res, 'GET', '/api/notes');
      if (user === undefined) return;
      sendJson(res, 200, { notes });
    },
    // What POST /api/notes received, in order, for the offline panel (and the tests) to show
    // without an API call: the demo calls the API only when a button is pressed.
    'GET /auth/demo/notes': (_req, res) => sendJson(res, 200, { notes }),
    // The offline demo's "network down": every connection but the demo's own controls (/auth/demo/) and
    // the stats is dropped, which a browser sees as offline (the mock server only).
    'POST /auth/demo/network': async (req, res) => {
      if (oidc) throw new HttpError(501, 'not_supported', 'With IDP=oidc use the browser\'s own offline switch (DevTools)');
      const body = await readJsonBody(req);
      if (typeof body.down !== 'boolean') throw new HttpError(400, 'invalid_request', 'down must be a boolean');
      networkDown = body.down;
      sendJson(res, 200, { down: networkDown });
    },
  };

  /** What `/auth/test/echo` saw: whether a token reached a URL outside the API allowlist. */
  let echoes: Array<{ authorization: string | null }> = [];

  /** Fault injection for the end-to-end tests: only with `testHooks`. */
  const testRoutes: Record<string, Handler> = {
    // An allowlisted API URL that redirects where the test says (sealed mode must not follow it with a token).
    'GET /api/test/redirect': (req, res) => {
      const to = new URL(req.url ?? '/', 'http://x').searchParams.get('to') ?? '/';
      res.writeHead(302, { location: to }).end();
    },
    // Outside the allowlist: records whether a token arrived.
    'GET /auth/test/echo': (req, res) => {
      echoes.push({ authorization: req.headers.authorization ?? null });
      sendJson(res, 200, { echoed: true });
    },
    'GET /auth/test/echoes': (_req, res) => sendJson(res, 200, echoes),
    'GET /auth/test/logins': (_req, res) => sendJson(res, 200, loginLog),
    'POST /auth/test/echoes/reset': (_req, res) => {
      echoes = [];
      sendJson(res, 200, echoes);
    },
    'POST /auth/test/fault': async (req, res) => {
      const body = await readJsonBody(req);
      const next = body.refresh;
      if (next !== 'none' && next !== '500' && next !== '503' && next !== 'garbage' && next !== 'hang' && next !== 'reset') {
        throw new HttpError(400, 'invalid_request', 'refresh must be none, 500, 503, garbage, hang or reset');
      }
      fault = next;
      sendJson(res, 200, { refresh: fault });
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
        dpopMaxAgeSeconds = body.dpopMaxAgeSeconds;
      }
      if (rotateGone !== undefined) {
        if (typeof rotateGone !== 'boolean') throw new HttpError(400, 'invalid_request', 'rotateWhenClientGone must be a boolean');
        rotateWhenClientGone = rotateGone;
      }
      if (nextPwa !== undefined) {
        if (nextPwa !== '1' && nextPwa !== '2') throw new HttpError(400, 'invalid_request', "pwaVersion must be '1' or '2'");
        pwaVersion = nextPwa;
      }
      if (ttl !== undefined) {
        if (typeof ttl !== 'number' || !(ttl > 0)) throw new HttpError(400, 'invalid_request', 'accessTtlSeconds must be a number > 0');
        auth.accessTtlSeconds = ttl;
      }
      if (refreshDelay !== undefined) {
        if (typeof refreshDelay !== 'number' || !(refreshDelay >= 0)) throw new HttpError(400, 'invalid_request', 'refreshDelayMs must be >= 0');
        refreshDelayMs = refreshDelay;
      }
      if (workerVersion !== undefined) {
        if (typeof workerVersion !== 'string' || !/^[\w.-]{0,40}$/.test(workerVersion)) throw new HttpError(400, 'invalid_request', 'bad workerVersion');
        workerVersionTag = workerVersion;
      }
      if (body.refreshAnswerDelayMs !== undefined) {
        if (typeof body.refreshAnswerDelayMs !== 'number' || !(body.refreshAnswerDelayMs >= 0)) throw new HttpError(400, 'invalid_request', 'refreshAnswerDelayMs must be >= 0');
        refreshAnswerDelayMs = body.refreshAnswerDelayMs;
      }
      if (body.loseWriteAnswers !== undefined) {
        if (!Number.isSafeInteger(body.loseWriteAnswers) || (body.loseWriteAnswers as number) < 0) throw new HttpError(400, 'invalid_request', 'loseWriteAnswers must be an integer >= 0');
        loseWriteAnswers = body.loseWriteAnswers as number;
      }
      if (body.quirks !== undefined) setQuirks(body.quirks);
      sendJson(res, 200, {
        quirks: { ...auth.quirks, ignoreDpop, omitExpiresIn, retryAfterSeconds },
        accessTtlSeconds: auth.accessTtlSeconds,
        refreshDelayMs,
        workerVersion: workerVersionTag,
        pwaVersion,
        rotationGraceMs: auth.rotationGraceMs,
        rotateWhenClientGone,
        dpopMaxAgeSeconds,
        loseWriteAnswers,
        refreshAnswerDelayMs,
      });
    },
    'POST /auth/test/network': async (req, res) => {
      const body = await readJsonBody(req);
      if (typeof body.down !== 'boolean') throw new HttpError(400, 'invalid_request', 'down must be a boolean');
      networkDown = body.down;
      sendJson(res, 200, { down: networkDown });
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

  /** `POST /auth/test/config { quirks }`: each field optional; checked before any is applied. */
  function setQuirks(value: unknown): void {
    if (typeof value !== 'object' || value === null) throw new HttpError(400, 'invalid_request', 'quirks must be an object');
    const q = value as Record<string, unknown>;
    const flag = (name: string) => q[name] === undefined || typeof q[name] === 'boolean';
    if (!flag('ignoreDpop') || !flag('omitExpiresIn') || !flag('jwtAccessTokens')) throw new HttpError(400, 'invalid_request', 'quirk flags must be booleans');
    if (q.jwtClockOffsetMs !== undefined && !Number.isFinite(q.jwtClockOffsetMs)) throw new HttpError(400, 'invalid_request', 'jwtClockOffsetMs must be a number');
    if (q.retryAfterSeconds !== undefined && !(typeof q.retryAfterSeconds === 'number' && q.retryAfterSeconds >= 0)) throw new HttpError(400, 'invalid_request', 'retryAfterSeconds must be >= 0');
    if (q.accessTokenSuffix !== undefined && !(typeof q.accessTokenSuffix === 'string' && q.accessTokenSuffix.length <= 16)) {
      throw new HttpError(400, 'invalid_request', 'accessTokenSuffix must be a short string');
    }
    ignoreDpop = (q.ignoreDpop as boolean | undefined) ?? ignoreDpop;
    omitExpiresIn = (q.omitExpiresIn as boolean | undefined) ?? omitExpiresIn;
    retryAfterSeconds = (q.retryAfterSeconds as number | undefined) ?? retryAfterSeconds;
    auth.quirks.jwtAccessTokens = (q.jwtAccessTokens as boolean | undefined) ?? auth.quirks.jwtAccessTokens;
    auth.quirks.jwtClockOffsetMs = (q.jwtClockOffsetMs as number | undefined) ?? auth.quirks.jwtClockOffsetMs;
    auth.quirks.accessTokenSuffix = (q.accessTokenSuffix as string | undefined) ?? auth.quirks.accessTokenSuffix;
  }

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const handler = routes[`${method} ${path}`] ?? (options.testHooks ? testRoutes[`${method} ${path}`] : undefined);
    if (handler) return handler(req, res);
    if (path.startsWith('/api/') || path.startsWith('/auth/') || path.startsWith('/oauth/')) {
      throw new HttpError(404, 'not_found', `No route for ${method} ${path}`);
    }
    if (options.staticRoot && (method === 'GET' || method === 'HEAD')) {
      const tag = workerVersionTag && path.endsWith('/sw.js') ? `\n// worker version ${workerVersionTag}\n` : '';
      // With the OpenID provider the root worker is the one configured for it.
      if (pwaVersion === '2' && options.pwaV2Root && path.startsWith('/pwa/')) return serveStatic(options.pwaV2Root, path.slice('/pwa'.length), res);
      // The vault's callback is its page when the vault's worker did not answer it (WebKit: see serveVault).
      // /favicon.ico: what browsers ask for on pages without an icon link (oidc-provider's pages).
      const file = oidc && path === '/sw.js' ? '/sw-oidc.js' : oidc && path === '/dpop/sw.js' ? '/dpop/sw-oidc.js' : path === '/vault-frame/oidc-callback' ? '/vault-frame/index.html' : path === '/favicon.ico' ? '/favicon.svg' : path;
      return serveStatic(options.staticRoot, file, res, tag);
    }
    throw new HttpError(404, 'not_found', `Not found: ${path}`);
  }

  const corsOrigins = new Set(options.corsOrigins ?? []);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    // CORS for the API, for the vault's origin only (vault mode calls the API from there).
    const requestOrigin = req.headers.origin;
    if (url.pathname.startsWith('/api/') && requestOrigin && corsOrigins.has(requestOrigin)) {
      res.setHeader('access-control-allow-origin', requestOrigin);
      res.setHeader('vary', 'origin');
      if (req.method === 'OPTIONS') {
        // Whatever headers the vault forwards (Firefox sends axios's user-agent, for one): an API decides this list itself.
        const requested = String(req.headers['access-control-request-headers'] ?? 'authorization, content-type');
        res.writeHead(204, { 'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE', 'access-control-allow-headers': requested, 'access-control-max-age': '600' });
        return void res.end();
      }
    }
    if (networkDown && !url.pathname.startsWith('/auth/test/') && !url.pathname.startsWith('/auth/stats') && !url.pathname.startsWith('/auth/demo/')) return void req.socket.destroy();
    if (oidc?.handle(req, res)) return;
    route(req, res, url).catch((error: unknown) => {
      if (res.headersSent || res.destroyed) return;
      if (error instanceof HttpError) return sendJson(res, error.status, { error: error.error, error_description: error.message });
      console.error(error);
      sendJson(res, 500, { error: 'server_error', error_description: 'Internal error' });
    });
  });
  return { server, auth, setFault: (next) => (fault = next) };
}

/** `omitExpiresIn`: as a server (or a proxy) that says nothing of the lifetime, leaving the JWT `exp` to decide. */
function sendGrant(res: ServerResponse, result: GrantResult, flavour: 'json' | 'oauth', omitExpiresIn = false): void {
  if (!result.ok) return sendJson(res, result.status, { error: result.error, error_description: result.description });
  const { tokens } = result;
  const expiresIn = omitExpiresIn ? undefined : tokens.expires_in;
  if (flavour === 'oauth') return sendJson(res, 200, { ...tokens, expires_in: expiresIn }, { 'cache-control': 'no-store' });
  sendJson(
    res,
    200,
    { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, expiresIn, tokenType: 'Bearer' },
    { 'cache-control': 'no-store' },
  );
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'invalid_request', 'Body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req);
  let body: unknown;
  try {
    body = JSON.parse(text || '{}');
  } catch {
    throw new HttpError(400, 'invalid_request', 'Body is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'invalid_request', 'Body must be a JSON object');
  return body as Record<string, unknown>;
}

async function readFormBody(req: IncomingMessage): Promise<URLSearchParams> {
  return new URLSearchParams(await readBody(req));
}

async function serveStatic(root: string, path: string, res: ServerResponse, suffix = ''): Promise<void> {
  let relative: string;
  try {
    relative = decodeURIComponent(path);
  } catch {
    throw new HttpError(400, 'invalid_request', 'Bad path encoding');
  }
  if (relative.endsWith('/')) relative += 'index.html';
  const file = normalize(join(root, relative));
  if (!file.startsWith(normalize(root + sep))) throw new HttpError(404, 'not_found', 'Not found');
  let target = file;
  try {
    if ((await stat(target)).isDirectory()) target = join(target, 'index.html');
  } catch {
    throw new HttpError(404, 'not_found', `Not found: ${path}`);
  }
  let data: Buffer;
  try {
    data = await readFile(target);
  } catch {
    throw new HttpError(404, 'not_found', `Not found: ${path}`);
  }
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[extname(target)] ?? 'application/octet-stream',
    // Workers and pages must update at once in the demo and the tests.
    'cache-control': 'no-cache',
  });
  res.end(suffix ? Buffer.concat([data, Buffer.from(suffix)]) : data);
}
