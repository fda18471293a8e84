// @ts-check
/**
 * `npm run build` (`node scripts/build.mjs lib`): the library only, what `npm pack`
 * publishes: the ESM entry points, type declarations, and the classic worker build for
 * importScripts with types for its global.
 *
 * `npm run build:demo` (`node scripts/build.mjs demo`, after the library): the demo pages
 * and workers, the example PWA (twice: the second build is the "update" the tests
 * install), the demo server, and the end-to-end test fixtures.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';

const what = process.argv[2] ?? 'lib';
if (what !== 'lib' && what !== 'demo') throw new Error(`build: expected 'lib' or 'demo', not ${what}`);

/** @param {string} label @param {string[]} args @param {Record<string, string>} [env] */
function step(label, args, env = {}) {
  console.log(`build: ${label}`);
  execFileSync('npx', args, { stdio: 'inherit', env: { ...process.env, ...env } });
}

if (what === 'lib') {
  step('library (ESM)', ['vite', 'build', '--mode', 'lib']);
  step('library (classic worker build)', ['vite', 'build', '--mode', 'lib-classic']);
  step('type declarations', ['tsc', '-p', 'tsconfig.types.json']);
  // The classic build defines one global; its types say so, for workers without a bundler.
  writeFileSync(
    'dist/lib/sw.classic.d.ts',
    [
      '/** `importScripts(\'sw-token-broker/sw/classic\')` defines this global: the worker entry, as one classic script. */',
      "declare const SwTokenBroker: typeof import('./types/sw/index.js');",
      '',
    ].join('\n'),
  );
  process.exit(0);
}

const { injectManifest } = await import('workbox-build');
step('demo pages', ['vite', 'build', '--mode', 'demo']);
for (const worker of ['worker', 'sealed-worker', 'oidc-worker', 'dpop-worker', 'dpop-oidc-worker', 'vault-worker']) step(`demo ${worker}`, ['vite', 'build', '--mode', worker]);
// The importScripts example loads the classic build from the demo's origin.
mkdirSync('dist/demo/classic', { recursive: true });
copyFileSync('dist/lib/sw.classic.js', 'dist/demo/classic/sw-token-broker.classic.js');
// The plain Workbox recipe: bundle the worker, then let workbox-build inject the precache manifest.
step('plain Workbox example worker', ['vite', 'build', '--mode', 'workbox-worker']);
console.log('build: plain Workbox example, injectManifest');
const injected = await injectManifest({
  swSrc: 'dist/demo/workbox/sw.js',
  swDest: 'dist/demo/workbox/sw.js',
  globDirectory: 'dist/demo',
  globPatterns: ['workbox/index.html', 'assets/*.{js,css}'],
  modifyURLPrefix: { '': '/' },
});
for (const warning of injected.warnings) console.warn(`workbox-build: ${warning}`);
step('example PWA', ['vite', 'build', '--config', 'demo/pwa/vite.config.ts']);
step('example PWA, second version', ['vite', 'build', '--config', 'demo/pwa/vite.config.ts'], { PWA_VERSION: '2', PWA_OUT_DIR: 'dist/pwa-v2' });
step('demo server', ['vite', 'build', '--mode', 'server']);
for (const fixture of ['idp-worker', 'idp-page']) step(`test fixture ${fixture}`, ['vite', 'build', '--mode', fixture]);
