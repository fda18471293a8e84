/**
 * One Vite config, several builds picked by `--mode` (scripts/build.mjs runs them all):
 * - `lib`: the package's entry points, `sw-token-broker`, `sw-token-broker/sw`, `/vault`, `/react`, `/vue` (ESM, deps external);
 * - `lib-classic`: the worker side as one classic script exposing `SwTokenBroker`, for `importScripts`;
 * - `worker`, `sealed-worker`, `offline-worker`, `dpop-worker`, `dpop-handoff-worker`, `apis-worker`: the demo's standalone workers at `/`, `/sealed/`, `/offline/`, `/dpop/`, `/dpop-handoff/`, `/apis/`;
 *   `oidc-worker`, `dpop-oidc-worker`: the ones served instead with IDP=oidc; one classic script each;
 * - `workbox-worker`: the plain Workbox example's worker (its precache manifest is injected afterwards);
 * - `demo`: the demo pages;
 * - `server`: the demo server for Node.
 * The example PWA has its own config, demo/pwa/vite.config.ts.
 */
import { resolve } from 'node:path';
import { defineConfig, type UserConfig } from 'vite';

const root = import.meta.dirname;
// The bindings import the page entry by name, so a page has one copy of it (one client per worker) whichever entry it imports.
const external = [/^axios/, /^workbox-window/, /^idb-keyval/, /^oauth4webapi/, /^react($|\/)/, /^vue$/, /^sw-token-broker$/, /^@angular\//, /^rxjs($|\/)/];

/** A worker as one classic (IIFE) script with everything bundled: what `navigator.serviceWorker.register` loads by default. */
function classicWorker(entry: string, outDir: string, fileName: string, name: string): UserConfig {
  return {
    // Example workers import the package by name, as an app would.
    resolve: { alias: { 'sw-token-broker/sw': resolve(root, 'sw/index.ts') } },
    // Workbox's modules keep development checks behind NODE_ENV; there is no process in a worker.
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    build: {
      outDir,
      emptyOutDir: false,
      target: 'es2022',
      sourcemap: true,
      lib: { entry: resolve(root, entry), formats: ['iife'], name, fileName: () => fileName },
    },
  };
}

const builds: Record<string, UserConfig> = {
  lib: {
    // workbox-background-sync is bundled into the worker entry (its ES modules import without
    // file extensions, which Node cannot resolve: importing the entry during SSR would throw);
    // its development checks stay out.
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    build: {
      outDir: 'dist/lib',
      emptyOutDir: true,
      target: 'es2022',
      minify: false,
      sourcemap: true,
      lib: {
        entry: {
          index: resolve(root, 'src/index.ts'),
          sw: resolve(root, 'sw/index.ts'),
          vault: resolve(root, 'vault/index.ts'),
          react: resolve(root, 'react/index.ts'),
          vue: resolve(root, 'vue/index.ts'),
          svelte: resolve(root, 'svelte/index.ts'),
          angular: resolve(root, 'angular/index.ts'),
        },
        formats: ['es'],
      },
      // The react entry keeps its 'use client' directive (build.test.ts checks it).
      rolldownOptions: { external },
    },
  },
  // Everything bundled: a worker without a bundler loads this one file with importScripts.
  'lib-classic': classicWorker('sw/index.ts', 'dist/lib', 'sw.classic.js', 'SwTokenBroker'),
  worker: classicWorker('demo/sw.ts', 'dist/demo', 'sw.js', 'swTokenBrokerDemoWorker'),
  'oidc-worker': classicWorker('demo/oidc-sw.ts', 'dist/demo', 'sw-oidc.js', 'swTokenBrokerOidcWorker'),
  'sealed-worker': classicWorker('demo/sealed/sw.ts', 'dist/demo/sealed', 'sw.js', 'swTokenBrokerSealedWorker'),
  'offline-worker': classicWorker('demo/offline/sw.ts', 'dist/demo/offline', 'sw.js', 'swTokenBrokerOfflineWorker'),
  'dpop-worker': classicWorker('demo/dpop/sw.ts', 'dist/demo/dpop', 'sw.js', 'swTokenBrokerDpopWorker'),
  'dpop-handoff-worker': classicWorker('demo/dpop-handoff/sw.ts', 'dist/demo/dpop-handoff', 'sw.js', 'swTokenBrokerDpopHandoffWorker'),
  'apis-worker': classicWorker('demo/apis/sw.ts', 'dist/demo/apis', 'sw.js', 'swTokenBrokerApisWorker'),
  'vault-worker': classicWorker('demo/vault-frame/sw.ts', 'dist/demo/vault-frame', 'sw.js', 'swTokenBrokerVaultWorker'),
  // The plain Workbox recipe: the PWA example's worker source, bundled here; workbox-build injects its manifest.
  'workbox-worker': classicWorker('demo/pwa/sw.ts', 'dist/demo/workbox', 'sw.js', 'swTokenBrokerWorkboxExample'),
  'dpop-oidc-worker': classicWorker('demo/dpop/oidc-sw.ts', 'dist/demo/dpop', 'sw-oidc.js', 'swTokenBrokerDpopOidcWorker'),
  // Test fixtures, not examples: the page and worker the OAuth servers we did not write serve in the e2e tests.
  'idp-worker': classicWorker('tests/e2e/idp/sw.ts', 'dist/idp', 'sw.js', 'swTokenBrokerIdpWorker'),
  'idp-page': classicWorker('tests/e2e/idp/page.ts', 'dist/idp', 'page.js', 'swTokenBrokerIdpPage'),
  'idp-oidc-worker': classicWorker('tests/e2e/idp/oidc-sw.ts', 'dist/idp', 'oidc-sw.js', 'swTokenBrokerIdpOidcWorker'),
  'idp-oidc-page': classicWorker('tests/e2e/idp/oidc-page.ts', 'dist/idp', 'oidc-page.js', 'swTokenBrokerIdpOidcPage'),
  demo: {
    root: resolve(root, 'demo'),
    base: '/',
    build: {
      outDir: resolve(root, 'dist/demo'),
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: true,
      rolldownOptions: {
        input: {
          index: resolve(root, 'demo/index.html'),
          recipe: resolve(root, 'demo/recipe.html'),
          sealed: resolve(root, 'demo/sealed/index.html'),
          offline: resolve(root, 'demo/offline/index.html'),
          dpop: resolve(root, 'demo/dpop/index.html'),
          dpopHandoff: resolve(root, 'demo/dpop-handoff/index.html'),
          apis: resolve(root, 'demo/apis/index.html'),
          classic: resolve(root, 'demo/classic/index.html'),
          workbox: resolve(root, 'demo/workbox/index.html'),
          bench: resolve(root, 'demo/bench/index.html'),
          passthrough: resolve(root, 'demo/bench/passthrough/index.html'),
          vault: resolve(root, 'demo/vault/index.html'),
          vaultFrame: resolve(root, 'demo/vault-frame/index.html'),
        },
      },
    },
  },
  server: {
    build: {
      outDir: 'dist/server',
      emptyOutDir: true,
      target: 'node20',
      ssr: resolve(root, 'server/main.ts'),
      rolldownOptions: { output: { entryFileNames: 'main.js' } },
    },
  },
};

export default defineConfig(({ mode }) => {
  const config = builds[mode];
  if (!config) throw new Error(`Unknown build mode '${mode}': use one of ${Object.keys(builds).join(', ')}`);
  return { logLevel: 'warn', ...config };
});
