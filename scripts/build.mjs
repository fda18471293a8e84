// @ts-check
/**
 * `npm run build`: the library (ESM entry points, type declarations, the classic worker
 * build for importScripts), the demo pages and workers, the example PWA (twice: the second
 * build is the "update" the tests install), and the demo server.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { injectManifest } from 'workbox-build';

/** @param {string} label @param {string[]} args @param {Record<string, string>} [env] */
function step(label, args, env = {}) {
  console.log(`build: ${label}`);
  execFileSync('npx', args, { stdio: 'inherit', env: { ...process.env, ...env } });
}

step('library (ESM)', ['vite', 'build', '--mode', 'lib']);
step('library (classic worker build)', ['vite', 'build', '--mode', 'lib-classic']);
step('type declarations', ['tsc', '-p', 'tsconfig.types.json']);
step('demo pages', ['vite', 'build', '--mode', 'demo']);
for (const worker of ['worker', 'sealed-worker', 'oidc-worker', 'dpop-worker', 'dpop-oidc-worker']) step(`demo ${worker}`, ['vite', 'build', '--mode', worker]);
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
