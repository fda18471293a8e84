// @ts-check
/**
 * Glewlwyd 2.7 (Debian's `glewlwyd`, a C OpenID provider on SQLite) as the end-to-end tests
 * meet it: its OIDC plugin with authorization code + PKCE, one-time refresh tokens, DPoP and
 * RFC 7009 revocation, its own login and consent pages. Glewlwyd listens on a private port;
 * this server, on `PORT`, is its public origin (Glewlwyd's `external_url`): it forwards
 * everything to Glewlwyd, counts what reaches the token endpoint, and serves the fixture page
 * and worker, the protected API (which checks Glewlwyd's JWT access tokens, and DPoP proofs for
 * bound ones) and test switches.
 *
 * Set up from nothing at every start, in a temporary folder: the database from the package's
 * `init.sqlite3.sql` (with Debian's Python, which has sqlite3), a copy of the web app (its file
 * server refuses symlinks), a config that names TLS files it never reads (it will not start
 * without them), then the plugin, the user demo/demo and the public client `spa` through the
 * administration API (Glewlwyd's default admin, admin/password).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, jwtVerify } from 'jose';

const PORT = Number(process.env.PORT ?? 5311);
const ORIGIN = `http://127.0.0.1:${PORT}`;
const ISSUER = `${ORIGIN}/api/oidc`;
const fixtureRoot = fileURLToPath(new URL('../../../dist/idp/', import.meta.url));
/** Each fixture scope: `/` (handoff), `/sealed/`, `/dpop/` (sealed + DPoP), `/delete-token/` (revoke replaced by Glewlwyd's delete_token grant). */
const SCOPES = ['/', '/sealed/', '/dpop/', '/delete-token/', '/password-grant/'];

const work = mkdtempSync(join(tmpdir(), 'sw-token-broker-glewlwyd-'));
/** @type {import('node:child_process').ChildProcess | undefined} */
let glewlwyd;

function zeroStats() {
  return { logins: 0, loginsFailed: 0, refreshes: 0, refreshesRejected: 0, reuseDetected: 0, revocations: 0, revocationsRefused: 0, apiCalls: 0, api401: 0, dpopBound: 0 };
}
const stats = zeroStats();
/** Refresh tokens a refresh grant already exchanged: presenting one again is reuse. */
const exchanged = new Set();
/** Access tokens Glewlwyd issued, and those a test expired (Glewlwyd's JWTs cannot be expired at the server). */
const issued = new Set();
const expired = new Set();
/** @type {Set<string>} */
const seenProofs = new Set();

/** A free port on 127.0.0.1 for Glewlwyd itself. @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = netServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function setUp() {
  // The default client backend names the property `post_logout_redirect_uri`, one value; the OpenID plugin reads
  // `post_logout_redirect_uris`, a list: declared so, as an administrator does in its client backend settings.
  const sql = gunzipSync(readFileSync('/usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz'))
    .toString('utf8')
    .replace('"post_logout_redirect_uri":{"multiple":false', '"post_logout_redirect_uris":{"multiple":true');
  const database = join(work, 'glewlwyd.db');
  const init = spawnSync('/usr/bin/python3', ['-c', 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.stdin.read()); c.commit()', database], { input: sql });
  if (init.status !== 0) throw new Error(`the Glewlwyd database could not be created: ${init.stderr}`);
  const webapp = join(work, 'webapp');
  cpSync('/usr/share/glewlwyd/webapp', webapp, { recursive: true, dereference: true });
  // Debian links config.json to a folder holding config.json: the web app needs the file.
  rmSync(join(webapp, 'config.json'), { recursive: true, force: true });
  writeFileSync(join(webapp, 'config.json'), readFileSync('/etc/glewlwyd/config-2.7.json/config.json'));
  const internal = await freePort();
  const mime = ['.html text/html', '.css text/css', '.js application/javascript', '.json application/json', '.png image/png', '.ico image/x-icon', '.svg image/svg+xml', '.woff2 font/woff2', '.woff font/woff', '.ttf font/ttf'];
  writeFileSync(
    join(work, 'glewlwyd.conf'),
    [
      `port=${internal}`,
      `bind_address="127.0.0.1"`,
      `external_url="${ORIGIN}"`,
      'login_url="login.html"',
      'api_prefix="api"',
      'allow_origin="*"',
      'log_mode="console"',
      'log_level="WARNING"',
      'cookie_secure=0',
      'session_key="GLEWLWYD2_SESSION_ID"',
      'admin_session_authentication="cookie"',
      'profile_session_authentication="cookie"',
      'allow_multiple_user_per_session=true',
      'login_api_enabled=true',
      'admin_scope="g_admin"',
      'profile_scope="g_profile"',
      `static_files_path="${webapp}/"`,
      'user_module_path="/usr/lib/glewlwyd/user"',
      'client_module_path="/usr/lib/glewlwyd/client"',
      'user_auth_scheme_module_path="/usr/lib/glewlwyd/scheme"',
      'plugin_module_path="/usr/lib/glewlwyd/plugin"',
      'use_secure_connection=false',
      // Never read with TLS off, but Glewlwyd will not start without them named.
      `secure_connection_key_file="${work}/unused.key"`,
      `secure_connection_pem_file="${work}/unused.pem"`,
      'hash_algorithm = "SHA512"',
      `database = { type = "sqlite3" path = "${database}" };`,
      `static_files_mime_types = ( ${mime.map((entry) => `{ extension = "${entry.split(' ')[0]}" mime_type = "${entry.split(' ')[1]}" }`).join(', ')} );`,
    ].join('\n'),
  );
  glewlwyd = spawn(process.env.GLEWLWYD_BIN ?? '/usr/bin/glewlwyd', ['-c', join(work, 'glewlwyd.conf')], { stdio: ['ignore', 'ignore', 'inherit'] });
  glewlwyd.once('exit', (code) => {
    console.error(`glewlwyd exited with ${code}`);
    process.exit(1);
  });
  const base = `http://127.0.0.1:${internal}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/config.json`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 200) throw new Error('Glewlwyd did not start');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  // The administration API, as its web app uses it: a session cookie from the default admin.
  const auth = await fetch(`${base}/api/auth/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'password' }) });
  const cookie = (auth.headers.get('set-cookie') ?? '').split(';')[0];
  /** @param {string} path @param {unknown} body */
  const admin = async (path, body) => {
    const response = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`Glewlwyd ${path} answered ${response.status}: ${await response.text()}`);
  };
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwks = { keys: [{ ...(await exportJWK(privateKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] };
  await admin('/api/mod/plugin/', {
    module: 'oidc',
    name: 'oidc',
    display_name: 'OpenID Connect',
    enabled: true,
    parameters: {
      iss: ISSUER,
      'jwks-private': JSON.stringify(jwks),
      'default-kid': 'k1',
      'jwks-show': true,
      'access-token-duration': 30,
      'refresh-token-duration': 1209600,
      'code-duration': 600,
      'refresh-token-rolling': true,
      // Every refresh rotates: a used refresh token is refused.
      'refresh-token-one-use': 'always',
      'allow-non-oidc': false,
      'auth-type-code-enabled': true,
      'auth-type-refresh-enabled': true,
      'auth-type-password-enabled': true,
      'auth-type-implicit-enabled': false,
      'auth-type-token-enabled': false,
      'auth-type-client-enabled': false,
      'auth-type-device-enabled': false,
      'auth-type-none-enabled': false,
      'pkce-allowed': true,
      'introspection-revocation-allowed': true,
      'introspection-revocation-auth-scope': [],
      'introspection-revocation-allow-target-client': true,
      'oauth-dpop-allowed': true,
      'oauth-dpop-iat-duration': 60,
      'allowed-scope': ['openid'],
      'subject-type': 'public',
      'service-documentation': `${ORIGIN}/`,
      // RP-initiated logout: the end_session endpoint, its session cookie, and the session list its logout page reads.
      'session-management-allowed': true,
      'session-cookie-name': 'GLEWLWYD2_OIDC_SID',
      'session-cookie-expiration': 2592000,
      'front-channel-logout-allowed': true,
    },
  });
  await admin('/api/user/', { username: 'demo', name: 'Demo', password: 'demo', enabled: true, scope: ['openid'] });
  await admin('/api/client/', {
    client_id: 'spa',
    name: 'The broker fixture',
    confidential: false,
    enabled: true,
    redirect_uri: SCOPES.map((scope) => `${ORIGIN}${scope}oidc-callback`),
    post_logout_redirect_uris: [`${ORIGIN}/`],
    authorization_type: ['code', 'refresh_token', 'delete_token'],
    scope: ['openid'],
  });
  const { kty, n, e } = jwks.keys[0];
  const publicKey = await importJWK({ kty, n, e }, 'RS256');
  return { internal, publicKey };
}

/** @param {import('node:http').IncomingMessage} req @returns {Promise<Buffer>} */
async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** @param {import('node:http').ServerResponse} res @param {number} status @param {unknown} body */
function sendJson(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}

/**
 * Checks a DPoP proof for an API request (RFC 9449 §4.3): signed by its embedded key, for this
 * method and URL, fresh, not seen before, bound to the access token; returns its key's thumbprint.
 * @param {string | undefined} proof @param {string} method @param {string} url @param {string} accessToken
 */
async function dpopThumbprint(proof, method, url, accessToken) {
  if (!proof) return undefined;
  try {
    const header = decodeProtectedHeader(proof);
    if (header.typ !== 'dpop+jwt' || !header.jwk || typeof header.alg !== 'string') return undefined;
    const { payload } = await jwtVerify(proof, await importJWK(/** @type {any} */ (header.jwk), header.alg), { typ: 'dpop+jwt', maxTokenAge: '60s' });
    const ath = createHash('sha256').update(accessToken).digest('base64url');
    if (payload.htm !== method || payload.htu !== url || payload.ath !== ath || typeof payload.jti !== 'string' || seenProofs.has(payload.jti)) return undefined;
    seenProofs.add(payload.jti);
    return calculateJwkThumbprint(/** @type {any} */ (header.jwk));
  } catch {
    return undefined;
  }
}

/** The fixture page and worker's configuration: Glewlwyd as a user of it would configure the broker. */
function fixtureConfig() {
  return {
    name: 'Glewlwyd',
    issuer: ISSUER,
    clientId: 'spa',
    scope: 'openid',
    statusCodes: [401],
    postLogoutRedirectUri: `${ORIGIN}/`,
    variants: {
      '/dpop/': { dpop: true },
      '/delete-token/': { revokeWith: 'delete_token' },
      // The password grant from the public client: Glewlwyd answers 403 with no body.
      '/password-grant/': { passwordGrant: true, tokenEndpoint: `${ISSUER}/token` },
    },
  };
}

async function main() {
  const { internal, publicKey } = await setUp();

  /** Forwards a request to Glewlwyd as it came (the body already read). */
  const forward = (/** @type {import('node:http').IncomingMessage} */ req, /** @type {import('node:http').ServerResponse} */ res, /** @type {Buffer} */ body) =>
    new Promise((resolve) => {
      const upstream = httpRequest(
        { host: '127.0.0.1', port: internal, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${PORT}` } },
        (answer) => {
          const chunks = /** @type {Buffer[]} */ ([]);
          answer.on('data', (chunk) => chunks.push(chunk));
          answer.on('end', () => {
            const data = Buffer.concat(chunks);
            res.writeHead(answer.statusCode ?? 502, answer.headers).end(data);
            resolve({ status: answer.statusCode ?? 502, data });
          });
        },
      );
      upstream.on('error', () => {
        sendJson(res, 502, { error: 'bad_gateway' });
        resolve({ status: 502, data: Buffer.alloc(0) });
      });
      upstream.end(body);
    });

  const page = '<!doctype html><html><head><meta charset="utf-8"><title>Glewlwyd</title></head><body><script src="/idp-config.js"></script><script src="/oidc-page.js"></script></body></html>';

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', ORIGIN);
    const path = url.pathname;
    try {
      if (req.method === 'GET' && SCOPES.includes(path)) return void res.writeHead(200, { 'content-type': 'text/html' }).end(page);
      if (req.method === 'GET' && (path === '/oidc-page.js' || SCOPES.some((scope) => path === `${scope}oidc-sw.js`))) {
        const file = path.endsWith('oidc-sw.js') ? 'oidc-sw.js' : 'oidc-page.js';
        return void res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-cache' }).end(readFileSync(join(fixtureRoot, file)));
      }
      if (path === '/idp-config.js') {
        return void res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' }).end(`self.SW_TOKEN_BROKER_IDP = ${JSON.stringify(fixtureConfig())};\n`);
      }
      if (path === '/auth/stats') return sendJson(res, 200, stats);
      if (path === '/auth/config') return sendJson(res, 200, { idp: 'glewlwyd' });
      if (req.method === 'POST' && path === '/auth/stats/reset') {
        Object.assign(stats, zeroStats());
        return sendJson(res, 200, stats);
      }
      if (req.method === 'POST' && path === '/auth/test/expire-access-tokens') {
        for (const token of issued) expired.add(token);
        return sendJson(res, 200, { ok: true });
      }
      if (req.method === 'POST' && path === '/auth/test/replay') {
        // A refresh grant with a token the test holds, straight to Glewlwyd (not counted): is it still live?
        const { refreshToken } = JSON.parse((await readBody(req)).toString('utf8') || '{}');
        const answer = await fetch(`http://127.0.0.1:${internal}/api/oidc/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: String(refreshToken), client_id: 'spa' }),
        });
        return sendJson(res, 200, { status: answer.status, body: await answer.text() });
      }
      if (req.method === 'GET' && path === '/api/data') {
        stats.apiCalls++;
        const match = /^(Bearer|DPoP) (\S+)$/.exec(req.headers.authorization ?? '');
        let claims;
        try {
          claims = match ? (await jwtVerify(match[2], publicKey, { issuer: ISSUER })).payload : undefined;
        } catch {
          claims = undefined;
        }
        let ok = !!claims && !expired.has(match?.[2]);
        const jkt = /** @type {{ jkt?: string } | undefined} */ (claims?.cnf)?.jkt;
        if (ok && jkt) {
          // A DPoP-bound token: the DPoP scheme and a proof from its key, or nothing.
          const proof = Array.isArray(req.headers.dpop) ? req.headers.dpop[0] : req.headers.dpop;
          ok = match?.[1] === 'DPoP' && (await dpopThumbprint(proof, 'GET', `${ORIGIN}/api/data`, match[2])) === jkt;
          if (ok) stats.dpopBound++;
        }
        if (!ok) {
          stats.api401++;
          res.setHeader('www-authenticate', `${match?.[1] === 'DPoP' ? 'DPoP' : 'Bearer'} error="invalid_token"`);
          return sendJson(res, 401, { error: 'invalid_token' });
        }
        return sendJson(res, 200, { user: claims?.sub, value: Math.round(Math.random() * 1000) });
      }
      const body = await readBody(req);
      if (req.method === 'POST' && path === '/api/oidc/token') {
        const form = new URLSearchParams(body.toString('utf8'));
        const grant = form.get('grant_type');
        const presented = form.get('refresh_token');
        if (grant === 'refresh_token') {
          stats.refreshes++;
          if (presented && exchanged.has(presented)) stats.reuseDetected++;
        }
        const { status, data } = /** @type {{ status: number, data: Buffer }} */ (await forward(req, res, body));
        if (status === 200) {
          try {
            const accessToken = JSON.parse(data.toString('utf8')).access_token;
            if (typeof accessToken === 'string') issued.add(accessToken);
          } catch {
            // not a token response
          }
        }
        if (grant === 'refresh_token') {
          if (status === 200 && presented) exchanged.add(presented);
          else stats.refreshesRejected++;
        } else if (grant === 'authorization_code') {
          if (status === 200) stats.logins++;
          else stats.loginsFailed++;
        } else if (grant === 'delete_token' && status === 200) stats.revocations++;
        return;
      }
      if (req.method === 'POST' && path === '/api/oidc/revoke') {
        const { status } = /** @type {{ status: number }} */ (await forward(req, res, body));
        if (status === 200) stats.revocations++;
        else stats.revocationsRefused++;
        return;
      }
      await forward(req, res, body);
    } catch (error) {
      console.error(error);
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
    }
  });
  server.listen(PORT, '127.0.0.1', () => console.log(`Glewlwyd on ${ORIGIN}/`));
  const stop = () => {
    glewlwyd?.removeAllListeners('exit');
    glewlwyd?.kill();
    rmSync(work, { recursive: true, force: true });
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error) => {
  console.error(error);
  glewlwyd?.kill();
  rmSync(work, { recursive: true, force: true });
  process.exit(1);
});
