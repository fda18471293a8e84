import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, findOrInstallChromium } from './scripts/find-browser.mjs';
import { findOrInstallDjangoOAuthToolkit, findOrInstallGlewlwyd } from './scripts/find-providers.mjs';
import { testPorts } from './scripts/ports.mjs';
import { TEST_TIMEOUT_MS, WAIT } from './tests/e2e/bounds.js';

// Every port and the variable that moves it: scripts/ports.mjs (npm test checks them all before it builds).
const port = (variable: string) => testPorts().find((use) => use.variable === variable)!.port;
/** The demo server the tests drive: the built demo, with fault injection turned on. */
export const E2E_PORT = port('E2E_PORT');
/** The demo server against the embedded oidc-provider (IDP=oidc). */
export const OIDC_PORT = port('OIDC_PORT');
/** Another origin that records what it receives: tokens must never arrive there. */
export const FOREIGN_PORT = port('FOREIGN_PORT');
/** OAuth servers this project did not write, each serving the fixture page and worker. */
export const NODE_OAUTH_PORT = port('NODE_OAUTH_PORT');
export const JMONDI_PORT = port('JMONDI_PORT');
/** The example app (examples/vite-pwa, built from the packed tarball) and its own backend. */
export const EXAMPLE_PORT = port('EXAMPLE_PORT');
/** The same example under `vite` dev (its API calls proxied to the example backend). */
export const EXAMPLE_DEV_PORT = port('EXAMPLE_DEV_PORT');
/** The vault's port of the demo server (vault mode: another origin, same site); the OpenID server's vault port. */
export const VAULT_PORT = port('E2E_VAULT_PORT');
export const OIDC_VAULT_PORT = port('OIDC_VAULT_PORT');
/** Django OAuth Toolkit (Debian's), serving the OpenID fixture page and worker. */
export const DOT_PORT = port('DOT_PORT');
/** Glewlwyd (Debian's), behind the fixture server that is its public origin. */
export const GLEWLWYD_PORT = port('GLEWLWYD_PORT');
/** The React and Vue examples (examples/react-pwa, examples/vue-pwa, built from the packed tarball), each with its own backend. */
export const REACT_EXAMPLE_PORT = port('REACT_EXAMPLE_PORT');
export const VUE_EXAMPLE_PORT = port('VUE_EXAMPLE_PORT');
/** The React example under `vite` dev: React's development build, where StrictMode mounts, unmounts and mounts again. */
export const REACT_EXAMPLE_DEV_PORT = port('REACT_EXAMPLE_DEV_PORT');
/** The Svelte and Angular examples (examples/svelte-pwa, examples/angular-pwa), built from the packed tarball. */
export const SVELTE_EXAMPLE_PORT = port('SVELTE_EXAMPLE_PORT');
export const ANGULAR_EXAMPLE_PORT = port('ANGULAR_EXAMPLE_PORT');

export default defineConfig({
  testDir: 'tests/e2e',
  testMatch: '**/*.spec.ts',
  // One server, one set of counters: tests run one at a time and reset it before each.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: !!process.env.CI,
  // Derived from the code's own bounds, for a loaded machine (tests/e2e/bounds.ts).
  timeout: TEST_TIMEOUT_MS,
  expect: { timeout: WAIT.tokenRequest },
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e.json' }]],
  use: {
    browserName: 'chromium',
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    launchOptions: { executablePath: findOrInstallChromium(), args: CHROMIUM_ARGS },
    serviceWorkers: 'allow',
    trace: 'off',
  },
  webServer: [
    // The demo server the tests drive: the built demo, with fault injection turned on.
    webServer('node dist/server/main.js', E2E_PORT, '/auth/stats', { ACCESS_TTL: '30', TEST_HOOKS: '1', REFRESH_DELAY_MS: '50', VAULT_PORT: String(VAULT_PORT) }),
    // oidc-provider prints warnings about Node 20; its stderr is left out.
    { ...webServer('node dist/server/main.js', OIDC_PORT, '/auth/stats', { ACCESS_TTL: '30', TEST_HOOKS: '1', IDP: 'oidc', VAULT_PORT: String(OIDC_VAULT_PORT) }), stderr: 'ignore' },
    webServer('node tests/e2e/idp/node-oauth-server.mjs', NODE_OAUTH_PORT, '/auth/stats'),
    webServer('node tests/e2e/idp/jmondi-server.mjs', JMONDI_PORT, '/auth/stats'),
    // Each example's own backend (examples/server.mjs), serving the example's dist from its folder.
    { ...webServer('node ../server.mjs', EXAMPLE_PORT, '/auth/stats'), cwd: 'examples/vite-pwa' },
    { ...webServer('node ../server.mjs', REACT_EXAMPLE_PORT, '/auth/stats'), cwd: 'examples/react-pwa' },
    { ...webServer('node ../server.mjs', VUE_EXAMPLE_PORT, '/auth/stats'), cwd: 'examples/vue-pwa' },
    { ...webServer('node ../server.mjs', SVELTE_EXAMPLE_PORT, '/auth/stats'), cwd: 'examples/svelte-pwa' },
    // Angular's builder writes the app to dist/browser.
    { ...webServer('node ../server.mjs', ANGULAR_EXAMPLE_PORT, '/auth/stats', { STATIC_ROOT: 'dist/browser' }), cwd: 'examples/angular-pwa' },
    {
      ...webServer(`node ../../node_modules/vite/bin/vite.js --port ${EXAMPLE_DEV_PORT} --strictPort --host 127.0.0.1`, EXAMPLE_DEV_PORT, '/', {
        EXAMPLE_PORT: String(EXAMPLE_PORT),
      }),
      cwd: 'examples/vite-pwa',
    },
    {
      ...webServer(`node ../../node_modules/vite/bin/vite.js --port ${REACT_EXAMPLE_DEV_PORT} --strictPort --host 127.0.0.1`, REACT_EXAMPLE_DEV_PORT, '/', {
        REACT_EXAMPLE_PORT: String(REACT_EXAMPLE_PORT),
      }),
      cwd: 'examples/react-pwa',
    },
    webServer('node tests/e2e/foreign-server.mjs', FOREIGN_PORT, '/__records', { FOREIGN_PORT: String(FOREIGN_PORT) }),
    // Migrations and an RSA key at start: a few seconds.
    { ...webServer(`${findOrInstallDjangoOAuthToolkit()} tests/e2e/idp/dot-server.py`, DOT_PORT, '/auth/stats'), timeout: 120_000 },
    { ...webServer('node tests/e2e/idp/glewlwyd-server.mjs', GLEWLWYD_PORT, '/auth/stats', { GLEWLWYD_BIN: findOrInstallGlewlwyd() }), timeout: 60_000 },
  ],
});

/** A server Playwright starts before the tests and stops after them, on 127.0.0.1:`port` (passed as PORT). */
function webServer(command: string, port: number, readyPath: string, env: Record<string, string> = {}) {
  return {
    command,
    url: `http://127.0.0.1:${port}${readyPath}`,
    env: { PORT: String(port), ...env },
    reuseExistingServer: false,
    stdout: 'ignore' as const,
    stderr: 'pipe' as const,
    timeout: 30_000,
  };
}
