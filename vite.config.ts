/**
 * One Vite config, several builds picked by `--mode` (scripts/build.mjs runs them all):
 * - `lib`: the package's two entry points, `sw-token-broker` and `sw-token-broker/sw` (ESM, deps external);
 * - `lib-classic`: the worker side as one classic script exposing `SwTokenBroker`, for `importScripts`;
 * - `worker`, `sealed-worker`, `oidc-worker`: the demo's standalone workers (handoff at `/`, sealed at `/sealed/`,
 *   and the one served as `/sw.js` with IDP=oidc), one classic script each;
 * - `demo`: the demo pages;
 * - `server`: the demo server for Node.
 */
import { resolve } from 'node:path';
import { defineConfig, type UserConfig } from 'vite';

const root = import.meta.dirname;
const external = [/^axios/, /^workbox-window/, /^idb-keyval/, /^oauth4webapi/];

const builds: Record<string, UserConfig> = {
  lib: {
    build: {
      outDir: 'dist/lib',
      emptyOutDir: true,
      target: 'es2022',
      minify: false,
      sourcemap: true,
      lib: { entry: { index: resolve(root, 'src/index.ts'), sw: resolve(root, 'sw/index.ts') }, formats: ['es'] },
      rolldownOptions: { external },
    },
  },
  'lib-classic': {
    build: {
      outDir: 'dist/lib',
      emptyOutDir: false,
      target: 'es2022',
      sourcemap: true,
      // Everything bundled: a worker without a bundler loads this one file with importScripts.
      lib: { entry: resolve(root, 'sw/index.ts'), formats: ['iife'], name: 'SwTokenBroker', fileName: () => 'sw.classic.js' },
    },
  },
  worker: {
    build: {
      outDir: 'dist/demo',
      emptyOutDir: false,
      target: 'es2022',
      sourcemap: true,
      lib: { entry: resolve(root, 'demo/sw.ts'), formats: ['iife'], name: 'swTokenBrokerDemoWorker', fileName: () => 'sw.js' },
    },
  },
  'oidc-worker': {
    build: {
      outDir: 'dist/demo',
      emptyOutDir: false,
      target: 'es2022',
      sourcemap: true,
      lib: { entry: resolve(root, 'demo/oidc-sw.ts'), formats: ['iife'], name: 'swTokenBrokerOidcWorker', fileName: () => 'sw-oidc.js' },
    },
  },
  'dpop-worker': {
    build: {
      outDir: 'dist/demo/dpop',
      emptyOutDir: false,
      target: 'es2022',
      sourcemap: true,
      lib: { entry: resolve(root, 'demo/dpop/sw.ts'), formats: ['iife'], name: 'swTokenBrokerDpopWorker', fileName: () => 'sw.js' },
    },
  },
  'dpop-oidc-worker': {
    build: {
      outDir: 'dist/demo/dpop',
      emptyOutDir: false,
      target: 'es2022',
      sourcemap: true,
      lib: { entry: resolve(root, 'demo/dpop/oidc-sw.ts'), formats: ['iife'], name: 'swTokenBrokerDpopOidcWorker', fileName: () => 'sw-oidc.js' },
    },
  },
  'sealed-worker': {
    build: {
      outDir: 'dist/demo/sealed',
      emptyOutDir: false,
      target: 'es2022',
      sourcemap: true,
      lib: { entry: resolve(root, 'demo/sealed/sw.ts'), formats: ['iife'], name: 'swTokenBrokerSealedWorker', fileName: () => 'sw.js' },
    },
  },
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
          dpop: resolve(root, 'demo/dpop/index.html'),
          classic: resolve(root, 'demo/classic/index.html'),
          bench: resolve(root, 'demo/bench/index.html'),
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
