// @ts-check
/**
 * The authorization server every library in the peer comparison logs in to and refreshes
 * at: one oidc-provider (rotation on every refresh; a rotated refresh token presented again
 * revokes the grant), with one public client per library, and one origin per library that
 * serves its page and a protected `GET /api/data`. Counters per library, as the demo
 * server's: logins, refresh grants that reached the server (accepted or not), reuse
 * detections, API calls, 401s.
 *
 * auth0-spa-js builds its URLs from its domain (`/authorize`, `/oauth/token`), so the
 * provider's routes are mapped to those paths; the other libraries use discovery and follow.
 */
import { createServer, request as httpRequest } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import Provider, { errors } from 'oidc-provider';
import { createGoTrue } from './gotrue.mjs';
import { selfSignedLoopbackCertificate } from './tls.mjs';

/** The API's audience: keycloak-js reads its access tokens as JWTs (Keycloak issues them), so its client gets JWTs for this resource. */
const BENCH_API = 'urn:sw-token-broker:bench-api';

/** An opaque refresh token in a JWT's shape (unsigned: only keycloak-js reads it, for its `exp`). @param {string} token */
const wrapRefreshToken = (token) => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ typ: 'Refresh', rt: token, exp: Math.floor(Date.now() / 1000) + 24 * 3600 })).toString('base64url')}.`;
/** The provider's refresh token inside a wrapped one (a token not wrapped passes as it is). @param {string} wrapped */
const unwrapRefreshToken = (wrapped) => {
  try {
    return JSON.parse(Buffer.from(wrapped.split('.')[1] ?? '', 'base64url').toString()).rt ?? wrapped;
  } catch {
    return wrapped;
  }
};

/**
 * Reads a form request's body, edits it, and hands it to oidc-provider as parsed (it reads a body
 * parsed upstream from request.body).
 * @param {any} ctx a Koa context @param {(form: URLSearchParams) => void} edit
 */
async function editForm(ctx, edit) {
  if (!ctx.is('application/x-www-form-urlencoded')) return;
  const form = new URLSearchParams(await new Response(ctx.req).text());
  edit(form);
  ctx.request.body = Object.fromEntries(form);
}

/** The libraries, each with its client id and the folder its page is built into (dist/bench-peers/<name>/). */
export const PEERS = /** @type {const} */ (['broker', 'auth0-spa-js', 'oidc-client-ts', 'axa-oidc-client', 'keycloak-js', 'okta-auth-js', 'msal-browser', 'supabase-auth-js']);
/**
 * The peers of the provider at the root (issuer with a trailing slash, as auth0-spa-js
 * requires); okta-auth-js strips that slash and compares exactly, so its client lives on a
 * second instance mounted at /okta (issuer without one); supabase auth-js talks to its
 * GoTrue-compatible endpoint instead; msal-browser takes only an https authority, so its
 * client lives on a third instance that listens with TLS on a port of its own.
 */
const ROOT_PEERS = PEERS.filter((peer) => peer !== 'supabase-auth-js' && peer !== 'okta-auth-js' && peer !== 'msal-browser');
const OKTA_MOUNT = '/okta';
/** @typedef {typeof PEERS[number]} Peer */

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.map': 'application/json' };

/** @returns {{ logins: number, refreshes: number, refreshesRejected: number, reuseDetected: number, apiCalls: number, api401: number }} */
const zero = () => ({ logins: 0, refreshes: 0, refreshesRejected: 0, reuseDetected: 0, apiCalls: 0, api401: 0 });

/**
 * Where a library's page is served. msal-browser's is https like its provider: same-site, so its
 * silent iframe gets the provider's session cookie as in a real https deployment.
 * @param {Peer} peer @param {number} port
 */
export const peerOrigin = (peer, port) => `${peer === 'msal-browser' ? 'https' : 'http'}://127.0.0.1:${port}`;

/**
 * Starts the provider and the libraries' origins.
 * @param {{ idpPort: number, msalIdpPort: number, ports: Record<Peer, number>, root: string }} options `root`: the built pages, one folder per library
 */
export async function startPeerServers({ idpPort, msalIdpPort, ports, root }) {
  const issuer = `http://127.0.0.1:${idpPort}/`;
  const origin = (/** @type {Peer} */ peer) => peerOrigin(peer, ports[peer]);
  const certificate = selfSignedLoopbackCertificate();
  /** @type {Record<string, ReturnType<typeof zero>>} */
  const stats = Object.fromEntries(PEERS.map((peer) => [peer, zero()]));
  let accessTtlSeconds = 60;
  /** GoTrue's `RefreshTokenReuseInterval` (Supabase projects default to 10 s). */
  let reuseIntervalSeconds = 10;
  /** The refresh tokens each library was handed, in the form it got them (keycloak-js: wrapped). @type {Record<string, Set<string>>} */
  const handedOut = Object.fromEntries(PEERS.map((peer) => [peer, new Set()]));

  /** @param {string} issuer @param {readonly Peer[]} peers */
  const makeProvider = (issuer, peers) => {
    const provider = new Provider(issuer, {
      clients: peers.map((peer) => ({
        client_id: peer,
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [`${origin(peer)}/`, `${origin(peer)}/callback`, `${origin(peer)}/oidc-callback`, `${origin(peer)}/authentication/callback`, `${origin(peer)}/authentication/silent-callback`, `${origin(peer)}/silent-check-sso.html`, `${origin(peer)}/redirect.html`],
        post_logout_redirect_uris: [`${origin(peer)}/`],
      })),
      routes: { authorization: '/authorize', token: '/oauth/token', revocation: '/oauth/revoke', end_session: '/v2/logout', userinfo: '/userinfo', jwks: '/.well-known/jwks.json' },
      pkce: { required: () => true },
      rotateRefreshToken: true,
      issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
      clientBasedCORS: () => true,
      // api:read: a scope for the API, as msal-browser asks for one (an access token for OpenID scopes alone is not what it caches).
      scopes: ['openid', 'profile', 'email', 'offline_access', 'api:read'],
      ttl: { AccessToken: () => accessTtlSeconds, AuthorizationCode: 60, IdToken: 3600, RefreshToken: 24 * 3600, Grant: 24 * 3600, Session: 24 * 3600, Interaction: 3600 },
      features: {
        devInteractions: { enabled: true },
        revocation: { enabled: true },
        // keycloak-js decodes its access token (it is a JWT at Keycloak): that client's tokens are JWTs for the API; the others' stay opaque.
        resourceIndicators: {
          enabled: true,
          defaultResource: async (_ctx, client) => (client?.clientId === 'keycloak-js' ? BENCH_API : undefined),
          useGrantedResource: async () => true,
          getResourceServerInfo: async (_ctx, indicator) => {
            if (indicator !== BENCH_API) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
            return { scope: 'openid offline_access', audience: BENCH_API, accessTokenFormat: 'jwt', accessTokenTTL: accessTtlSeconds };
          },
        },
      },
      findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
      cookies: { keys: ['sw-token-broker-bench-only'] },
    });
    const statsOf = (/** @type {any} */ ctx) => stats[ctx.oidc?.client?.clientId ?? ctx.oidc?.params?.client_id] ?? zero();
    provider.on('grant.success', (ctx) => {
      const grantType = ctx.oidc.params?.grant_type;
      if (grantType === 'refresh_token') statsOf(ctx).refreshes++;
      if (grantType === 'authorization_code') statsOf(ctx).logins++;
    });
    provider.on('grant.error', (ctx, error) => {
      if (ctx.oidc?.params?.grant_type !== 'refresh_token') return;
      const counted = statsOf(ctx);
      counted.refreshes++;
      counted.refreshesRejected++;
      const { error_detail: detail, error_description: description } = /** @type {{ error_detail?: string, error_description?: string }} */ (error);
      if (/already used/.test(String(detail ?? description))) counted.reuseDetected++;
    });

    // keycloak-js calls the token endpoint with credentials (Keycloak answers CORS with
    // Access-Control-Allow-Credentials); oidc-provider does not, so for its origin it does here.
    provider.use(async (ctx, next) => {
      await next();
      const handed = /** @type {any} */ (ctx.body)?.refresh_token;
      if (ctx.path === '/oauth/token' && typeof handed === 'string') handedOut[ctx.oidc?.client?.clientId ?? '']?.add(handed);
      if (ctx.get('origin') === origin('keycloak-js')) {
        ctx.set('Access-Control-Allow-Origin', origin('keycloak-js'));
        ctx.set('Access-Control-Allow-Credentials', 'true');
      }
    });
    return provider;
  };
  const provider = makeProvider(issuer, ROOT_PEERS);
  const oktaProvider = makeProvider(`${issuer}${OKTA_MOUNT.slice(1)}`, ['okta-auth-js']);
  const msalIssuer = `https://127.0.0.1:${msalIdpPort}`;
  const msalProvider = makeProvider(msalIssuer, ['msal-browser']);
  // msal-browser asks for offline_access again on every refresh. oidc-provider grants that scope
  // only with prompt=consent (OpenID Core 11), so a tab logged in silently (ssoSilent, prompt=none)
  // holds a refresh token without it and every refresh of that tab is refused (invalid_scope).
  // Entra ID, msal's own provider, answers such a refresh; so does this instance: it leaves
  // offline_access out of a refresh request's scope (docs/benchmark.md).
  msalProvider.use(async (ctx, next) => {
    if (ctx.method === 'POST' && ctx.path === '/oauth/token') {
      await editForm(ctx, (form) => {
        const scope = form.get('scope');
        if (form.get('grant_type') === 'refresh_token' && scope !== null) form.set('scope', scope.split(' ').filter((each) => each !== 'offline_access').join(' '));
      });
    }
    await next();
  });
  // okta-auth-js's signOut() revokes its tokens with `Authorization: Basic base64(client_id)`,
  // no colon, as Okta takes from a public client; oidc-provider refuses that header's format
  // (so signOut() threw and never reached the provider). Here it becomes the body's client_id.
  oktaProvider.use(async (ctx, next) => {
    const basic = /^Basic (\S+)$/.exec(ctx.get('authorization'))?.[1];
    const clientId = basic === undefined ? '' : Buffer.from(basic, 'base64').toString();
    if (ctx.method === 'POST' && ctx.path === '/oauth/revoke' && clientId && !clientId.includes(':')) {
      delete ctx.req.headers.authorization;
      await editForm(ctx, (form) => form.set('client_id', clientId));
    }
    await next();
  });
  const msalIdp = createHttpsServer(certificate, msalProvider.callback());
  await new Promise((resolve) => msalIdp.listen(msalIdpPort, '127.0.0.1', () => resolve(undefined)));
  // Koa composes a provider's middleware when its callback is made: after every use() above.
  const oktaCallback = oktaProvider.callback();
  const rootCallback = provider.callback();
  // Mounted as express mounts it (oidc-provider's documented way): the path without the prefix, the full one in originalUrl.
  const idp = createServer((req, res) => {
    if (req.url === OKTA_MOUNT || req.url?.startsWith(`${OKTA_MOUNT}/`)) {
      Object.assign(req, { originalUrl: req.url, url: req.url.slice(OKTA_MOUNT.length) || '/' });
      return oktaCallback(req, res);
    }
    return rootCallback(req, res);
  });
  const jwks = createRemoteJWKSet(new URL(`${issuer}.well-known/jwks.json`));
  /** The user of a valid, unexpired access token (opaque: the provider's store; JWT: signature, issuer, audience, exp), else undefined. @param {string} token */
  const userOf = async (token) => {
    if (token.split('.').length === 3) return jwtVerify(token, jwks, { issuer, audience: BENCH_API }).then(({ payload }) => payload.sub, () => undefined);
    const found = (await provider.AccessToken.find(token)) ?? (await oktaProvider.AccessToken.find(token)) ?? (await msalProvider.AccessToken.find(token));
    return found && !found.isExpired ? found.accountId : undefined;
  };
  await new Promise((resolve) => idp.listen(idpPort, '127.0.0.1', () => resolve(undefined)));
  const gotrue = createGoTrue({
    issuer: `${origin('supabase-auth-js')}/auth/v1`,
    accessTtl: () => accessTtlSeconds,
    reuseIntervalS: () => reuseIntervalSeconds,
    onLogin: () => void stats['supabase-auth-js'].logins++,
    onRefresh: (outcome) => {
      const counted = stats['supabase-auth-js'];
      counted.refreshes++;
      if (outcome !== 'ok') counted.refreshesRejected++;
      if (outcome === 'reused') counted.reuseDetected++;
    },
  });

  /** @type {(handler: import('node:http').RequestListener, peer: Peer) => import('node:http').Server} */
  const serve = (handler, peer) => (peer === 'msal-browser' ? createHttpsServer(certificate, handler) : createServer(handler));
  const sites = PEERS.map((peer) =>
    serve(async (req, res) => {
      const url = new URL(req.url ?? '/', origin(peer));
      const counted = stats[peer];
      const json = (/** @type {number} */ status, /** @type {unknown} */ body) =>
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
      if (url.pathname === '/api/data') {
        counted.apiCalls++;
        const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
        const user = match ? await (peer === 'supabase-auth-js' ? gotrue.userOf(match[1]) : userOf(match[1])) : undefined;
        if (!user) {
          counted.api401++;
          return json(401, { error: 'invalid_token' });
        }
        return json(200, { user, at: Date.now() });
      }
      if (url.pathname === '/auth/config') return json(200, { peer, issuer: peer === 'msal-browser' ? msalIssuer : issuer });
      if (peer === 'supabase-auth-js') {
        const readJson = async () => JSON.parse((await new Response(/** @type {any} */ (req)).text()) || '{}');
        const answer = await gotrue.handle(req.method ?? 'GET', url, readJson, req.headers.authorization);
        if (answer) {
          if (answer.status === 200 && typeof (/** @type {any} */ (answer.body)?.refresh_token) === 'string') handedOut[peer].add(/** @type {any} */ (answer.body).refresh_token);
          return answer.body === null ? res.writeHead(answer.status).end() : json(answer.status, answer.body);
        }
      }
      // keycloak-js's token endpoint: the provider's, with the refresh token in a JWT's shape (keycloak-js decodes it; Keycloak's are JWTs).
      if (url.pathname === '/kc-token' && req.method === 'POST' && peer === 'keycloak-js') {
        const form = new URLSearchParams(await new Response(/** @type {any} */ (req)).text());
        const wrapped = form.get('refresh_token');
        if (wrapped) form.set('refresh_token', unwrapRefreshToken(wrapped));
        const answer = await fetch(`${issuer}oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
        const body = await answer.json();
        if (typeof body.refresh_token === 'string') handedOut[peer].add((body.refresh_token = wrapRefreshToken(body.refresh_token)));
        return json(answer.status, body);
      }
      // The broker's OpenID fixture reads its provider from here (tests/e2e/idp/oidc-sw.ts).
      if (url.pathname === '/idp-config.js') {
        const config = { issuer: issuer.slice(0, -1), discoveryUrl: `${issuer}.well-known/openid-configuration`, clientId: peer, scope: 'openid' };
        res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' });
        return res.end(`self.SW_TOKEN_BROKER_IDP = ${JSON.stringify({ ...config, statusCodes: [401] })};`);
      }
      const base = join(root, peer);
      // A single-page app: every path without a file extension gets index.html (callbacks included).
      const path = extname(url.pathname) ? url.pathname : '/index.html';
      const file = normalize(join(base, path));
      if (!file.startsWith(base)) return json(404, { error: 'not_found' });
      try {
        const body = await readFile(file);
        res.writeHead(200, { 'content-type': TYPES[/** @type {keyof typeof TYPES} */ (extname(file))] ?? 'application/octet-stream', 'cache-control': 'no-cache' }).end(body);
      } catch {
        json(404, { error: 'not_found' });
      }
    }, peer),
  );
  await Promise.all(sites.map((site, i) => new Promise((resolve) => site.listen(ports[PEERS[i]], '127.0.0.1', () => resolve(undefined)))));

  /** A refresh grant sent as a library sends it; its status. @param {string} tokenUrl @param {Peer} peer @param {string} refreshToken */
  const refreshStatus = (tokenUrl, peer, refreshToken) =>
    new Promise((resolve, reject) => {
      const body = new URLSearchParams({ grant_type: 'refresh_token', client_id: peer, refresh_token: refreshToken }).toString();
      const headers = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) };
      // msal-browser's provider: trust its own certificate, nothing else.
      const request = tokenUrl.startsWith('https:') ? httpsRequest(tokenUrl, { method: 'POST', headers, ca: certificate.cert }) : httpRequest(tokenUrl, { method: 'POST', headers });
      request.on('response', (response) => response.resume().on('end', () => resolve(response.statusCode ?? 0))).on('error', reject).end(body);
    });
  /** Each library's provider, where its authorization and token endpoints are (supabase auth-js has none: it logs in by password at GoTrue). @param {Peer} peer */
  const providerOf = (peer) => (peer === 'supabase-auth-js' ? null : peer === 'msal-browser' ? `${msalIssuer}/` : peer === 'okta-auth-js' ? `${issuer}${OKTA_MOUNT.slice(1)}/` : issuer);

  return {
    issuer,
    origin,
    /** The authorization endpoint of `peer`'s provider, null for supabase auth-js (no provider session). @param {Peer} peer */
    authorizeUrlOf: (peer) => (providerOf(peer) === null ? null : `${providerOf(peer)}authorize`),
    /** Whether the last refresh token `peer` was handed still gets tokens: a refresh grant at its server, now. @param {Peer} peer */
    refreshTokenAccepted: async (peer) => {
      const last = [...handedOut[peer]].at(-1);
      if (last === undefined) throw new Error(`${peer} was handed no refresh token`);
      const provider = providerOf(peer);
      if (provider === null) {
        const answer = await gotrue.handle('POST', new URL(`${origin(peer)}/auth/v1/token?grant_type=refresh_token`), async () => ({ refresh_token: last }), undefined);
        return answer !== false && answer.status === 200;
      }
      return (await refreshStatus(`${provider}oauth/token`, peer, unwrapRefreshToken(last))) === 200;
    },
    /** @param {Peer} peer */
    stats: (peer) => ({ ...stats[peer] }),
    resetStats: () => PEERS.forEach((peer) => Object.assign(stats[peer], zero())),
    /** Every refresh token `peer` was handed since the servers started, as it got them. @param {Peer} peer */
    refreshTokensOf: (peer) => [...handedOut[peer]],
    /** @param {number} seconds GoTrue's reuse interval */
    setReuseInterval: (seconds) => void (reuseIntervalSeconds = seconds),
    /** @param {number} seconds */
    setAccessTtl: (seconds) => void (accessTtlSeconds = seconds),
    close: () => Promise.all([idp, msalIdp, ...sites].map((server) => new Promise((resolve) => server.close(() => resolve(undefined))))),
  };
}
