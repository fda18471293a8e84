/**
 * The demo's HTTP server: the mock auth server (routes/oauth.ts), the protected API
 * (routes/api.ts), the demo's controls and stats (routes/demo.ts), the test hooks
 * (routes/test-hooks.ts), and the built demo files; its settings and records in one
 * ServerState.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { MockAuth } from './auth.js';
import { HttpError, sendJson, type Routes } from './http.js';
import type { EmbeddedProvider, createOidcProvider } from './oidc.js';
import { apiRoutes } from './routes/api.js';
import type { RouteContext } from './routes/context.js';
import { demoRoutes } from './routes/demo.js';
import { oauthRoutes } from './routes/oauth.js';
import { testHookRoutes } from './routes/test-hooks.js';
import { ServerState, type RefreshFault } from './state.js';
import { CROSS_ORIGIN_ISOLATION, serveStatic } from './static.js';

export type { RefreshFault } from './state.js';

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
  /** Serves the demo's files cross-origin isolated (env `CROSS_ORIGIN_ISOLATED=1`): the benchmark's finer clock. */
  crossOriginIsolated?: boolean;
}

export function createApp(options: AppOptions): { server: Server; auth: MockAuth; setFault(fault: RefreshFault): void } {
  const auth = new MockAuth({ accessTtlSeconds: options.accessTtlSeconds, rotationGraceMs: options.rotationGraceMs });
  const origin = options.origin ?? 'http://127.0.0.1';
  const oidc: EmbeddedProvider | undefined = options.createOidc?.({ origin, vaultOrigin: options.vaultOrigin, stats: () => auth.stats, accessTtlSeconds: () => auth.accessTtlSeconds });
  const state = new ServerState(options.refreshDelayMs ?? 0);
  const context: RouteContext = { auth, oidc, origin, vaultOrigin: options.vaultOrigin, state };
  const routes: Routes = { ...demoRoutes(context), ...oauthRoutes(context), ...apiRoutes(context) };
  const testRoutes: Routes = options.testHooks ? testHookRoutes(context) : {};

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const handler = routes[`${method} ${path}`] ?? testRoutes[`${method} ${path}`];
    if (handler) return handler(req, res);
    if (path.startsWith('/api/') || path.startsWith('/auth/') || path.startsWith('/oauth/')) {
      throw new HttpError(404, 'not_found', `No route for ${method} ${path}`);
    }
    if (options.staticRoot && (method === 'GET' || method === 'HEAD')) {
      const tag = state.workerVersionTag && path.endsWith('/sw.js') ? `\n// worker version ${state.workerVersionTag}\n` : '';
      // With the OpenID provider the root worker is the one configured for it.
      if (state.pwaVersion === '2' && options.pwaV2Root && path.startsWith('/pwa/')) return serveStatic(options.pwaV2Root, path.slice('/pwa'.length), res);
      // The vault's callback is its page when the vault's worker did not answer it (WebKit: see serveVault);
      // the main demo's, where no worker runs (the page-side fallback finishes the login).
      // /favicon.ico: what browsers ask for on pages without an icon link (oidc-provider's pages).
      const file = oidc && path === '/sw.js' ? '/sw-oidc.js' : oidc && path === '/oidc-callback' ? '/index.html' : oidc && path === '/dpop/sw.js' ? '/dpop/sw-oidc.js' : path === '/vault-frame/oidc-callback' ? '/vault-frame/index.html' : path === '/favicon.ico' ? '/favicon.svg' : path;
      return serveStatic(options.staticRoot, file, res, tag, options.crossOriginIsolated ? CROSS_ORIGIN_ISOLATION : {});
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
    if (state.networkDown && !url.pathname.startsWith('/auth/test/') && !url.pathname.startsWith('/auth/stats') && !url.pathname.startsWith('/auth/demo/')) return void req.socket.destroy();
    if (oidc?.handle(req, res)) return;
    route(req, res, url).catch((error: unknown) => {
      if (res.headersSent || res.destroyed) return;
      if (error instanceof HttpError) return sendJson(res, error.status, { error: error.error, error_description: error.message });
      console.error(error);
      sendJson(res, 500, { error: 'server_error', error_description: 'Internal error' });
    });
  });
  return { server, auth, setFault: (next) => (state.fault = next) };
}
