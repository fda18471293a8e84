// @ts-check
/**
 * The examples' small backend (each example runs its own: `npm start` in its folder): the
 * built app from `./dist`, a JSON auth API with rotating refresh tokens and reuse detection
 * (a rotated token presented again ends the session), an `idToken` at login (unsigned: its
 * claims are for display, this backend is the example's only authority), and a protected
 * `/api/me`, and `POST /api/notes` (what arrived, in order: `GET /auth/test/notes`).
 * `POST /auth/test/expire` expires every access token, for the tests.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';

const port = Number(process.env.PORT ?? 5306);
// The built app: `dist` (Vite), or where STATIC_ROOT says (Angular's builder writes `dist/browser`).
const root = join(process.cwd(), process.env.STATIC_ROOT ?? 'dist');
const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.webmanifest': 'application/manifest+json', '.json': 'application/json' };
const stats = { logins: 0, refreshes: 0, reuseDetected: 0, apiCalls: 0, api401: 0 };
/** @type {Map<string, { family: string, used: boolean }>} */
const refreshTokens = new Map();
/** @type {Map<string, { family: string, expiresAt: number }>} */
const accessTokens = new Map();
const revoked = new Set();
/** @type {string[]} */
let notes = [];
/** Idempotency-Key → the first answer to the write that carried it. */
const answered = new Map();
const token = () => randomBytes(18).toString('base64url');

/** @param {string} family */
function issue(family) {
  const accessToken = token();
  const refreshToken = token();
  accessTokens.set(accessToken, { family, expiresAt: Date.now() + 30_000 });
  refreshTokens.set(refreshToken, { family, used: false });
  return { accessToken, refreshToken, expiresIn: 30 };
}

/** Who logs in: the claims of the idToken the login answer carries. */
const idToken = [{ alg: 'none' }, { sub: 'demo', name: 'Demo User', iat: Math.floor(Date.now() / 1000) }]
  .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
  .concat('')
  .join('.');

/** @param {import('node:http').ServerResponse} res @param {number} status @param {unknown} body */
const json = (res, status, body) => res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));

/** @param {import('node:http').IncomingMessage} req */
async function body(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  try {
    return JSON.parse(text || '{}');
  } catch {
    return {};
  }
}

createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const route = `${req.method} ${url.pathname}`;
  if (route === 'POST /auth/login') {
    const { username, password } = await body(req);
    if (username !== 'demo' || password !== 'demo') return json(res, 401, { error: 'invalid_credentials' });
    stats.logins++;
    return json(res, 200, { ...issue(token()), idToken });
  }
  if (route === 'POST /auth/refresh') {
    stats.refreshes++;
    const record = refreshTokens.get((await body(req)).refreshToken);
    if (!record || revoked.has(record.family)) return json(res, 400, { error: 'invalid_grant' });
    if (record.used) {
      stats.reuseDetected++;
      revoked.add(record.family);
      return json(res, 400, { error: 'invalid_grant', error_description: 'reuse detected' });
    }
    record.used = true;
    return json(res, 200, issue(record.family));
  }
  if (route === 'POST /auth/logout') {
    const record = refreshTokens.get((await body(req)).refreshToken);
    if (record) revoked.add(record.family);
    return json(res, 200, { ok: true });
  }
  if (route === 'GET /api/me' || route === 'POST /api/notes') {
    stats.apiCalls++;
    const access = accessTokens.get(/^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
    if (!access || access.expiresAt <= Date.now() || revoked.has(access.family)) {
      stats.api401++;
      return json(res, 401, { error: 'invalid_token' });
    }
    if (route === 'GET /api/me') return json(res, 200, { user: 'demo' });
    // Idempotency-Key (draft-ietf-httpapi-idempotency-key-header): the same key gets the first answer again, not a second note.
    const key = req.headers['idempotency-key'];
    const seen = typeof key === 'string' ? answered.get(key) : undefined;
    if (seen) return json(res, seen.status, seen.body);
    const { text } = await body(req);
    if (typeof text !== 'string' || text === '') return json(res, 422, { error: 'invalid_note' });
    notes.push(text);
    const answer = { status: 201, body: { n: notes.length } };
    if (typeof key === 'string' && key.length <= 200) answered.set(key, answer);
    return json(res, answer.status, answer.body);
  }
  if (route === 'GET /auth/test/notes') return json(res, 200, { notes });
  if (route === 'GET /auth/stats') return json(res, 200, stats);
  if (route === 'GET /auth/config') return json(res, 200, { example: true });
  if (route === 'POST /auth/test/reset') {
    Object.assign(stats, { logins: 0, refreshes: 0, reuseDetected: 0, apiCalls: 0, api401: 0 });
    notes = [];
    answered.clear();
    return json(res, 200, stats);
  }
  if (route === 'POST /auth/test/expire') {
    for (const access of accessTokens.values()) access.expiresAt = 0;
    return json(res, 200, { ok: true });
  }
  const file = normalize(join(root, url.pathname.endsWith('/') ? `${url.pathname}index.html` : url.pathname));
  if (!file.startsWith(root)) return json(res, 404, { error: 'not_found' });
  try {
    const data = await readFile(file);
    res.writeHead(200, { 'content-type': types[/** @type {keyof typeof types} */ (extname(file))] ?? 'application/octet-stream', 'cache-control': 'no-cache' }).end(data);
  } catch {
    json(res, 404, { error: 'not_found' });
  }
}).listen(port, '127.0.0.1', () => console.log(`example on http://127.0.0.1:${port}/`));
