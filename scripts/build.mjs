// @ts-check
/**
 * `npm run build` (`node scripts/build.mjs lib`): the library only, what `npm pack`
 * publishes: the ESM entry points, type declarations, and the classic worker build for
 * importScripts with types for its global.
 *
 * `npm run build:demo` (`node scripts/build.mjs demo`, after the library): what `npm run
 * demo` serves and nothing else: the demo pages and workers, the example PWA, the server.
 *
 * `npm run build:test` (`node scripts/build.mjs test`, after the demo): what only the tests
 * use: the example PWA's second version (the "update" the tests install) and the fixture
 * pages and workers the OAuth servers we did not write serve.
 *
 * Incremental: each part records a hash of its inputs (dist/.stamps/) and is skipped while
 * they are unchanged and its outputs exist. One line per step; a step's own output is shown
 * only when it fails (or with BUILD_VERBOSE=1). `--force` rebuilds everything; `--check`
 * builds nothing and exits 1 when a part is out of date.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const what = process.argv.slice(2).find((arg) => !arg.startsWith('--')) ?? 'lib';
if (what !== 'lib' && what !== 'demo' && what !== 'test') throw new Error(`build: expected 'lib', 'demo' or 'test', not ${what}`);
const force = process.argv.includes('--force');
/** `--check`: build nothing; say which parts are out of date, exit 1 if any is. */
const check = process.argv.includes('--check');
let outOfDate = 0;
const verbose = process.env.BUILD_VERBOSE === '1';

/** What every part depends on: the library's sources, the build configuration, the installed packages. */
const SHARED_INPUTS = ['src', 'sw', 'protocol', 'vault', 'react', 'vue', 'svelte', 'angular', 'bindings', 'vite.config.ts', 'tsconfig.base.json', 'package-lock.json', 'scripts/build.mjs'];

/**
 * Runs one build step, printing its name and time; its output only when it fails.
 * @param {string} label @param {string[]} args @param {Record<string, string>} [env]
 */
function step(label, args, env = {}) {
  const started = Date.now();
  const result = spawnSync('npx', args, { stdio: verbose ? 'inherit' : 'pipe', encoding: 'utf8', env: { ...process.env, ...env } });
  if (result.status !== 0) {
    console.log(`build: ${label} FAILED`);
    if (!verbose) process.stdout.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    process.exit(result.status ?? 1);
  }
  console.log(`build: ${label} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

/** Every file under `paths` (files or folders), sorted, without node_modules or dist. @param {string[]} paths */
function filesOf(paths) {
  const files = [];
  for (const path of paths) {
    if (!existsSync(path)) continue;
    if (!statSync(path).isDirectory()) files.push(path);
    else for (const entry of readdirSync(path, { recursive: true, withFileTypes: true })) {
      const file = join(entry.parentPath ?? entry.path, entry.name);
      if (entry.isFile() && !/(^|\/)(node_modules|dist)\//.test(file)) files.push(file);
    }
  }
  return files.sort();
}

/** A hash of the files' names and contents. @param {string[]} paths */
function hashOf(paths) {
  const hash = createHash('sha256');
  for (const file of filesOf(paths)) hash.update(file).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

/**
 * Builds a part unless its inputs are unchanged since its last build and its outputs exist.
 * @param {string} name @param {{ inputs: string[], outputs: string[], build: () => Promise<void> | void }} part
 */
async function part(name, { inputs, outputs, build }) {
  const stamp = join('dist/.stamps', `${name}.sha256`);
  const hash = hashOf([...SHARED_INPUTS, ...inputs]);
  const current = existsSync(stamp) && readFileSync(stamp, 'utf8') === hash && outputs.every((output) => existsSync(output));
  if (current && !force) return console.log(`build: ${name}: up to date`);
  if (check) {
    outOfDate++;
    return console.log(`build: ${name}: out of date`);
  }
  await build();
  mkdirSync('dist/.stamps', { recursive: true });
  writeFileSync(stamp, hash);
}

if (what === 'lib') {
  await part('library', {
    inputs: ['tsconfig.types.json', 'package.json'],
    outputs: ['dist/lib/index.js', 'dist/lib/sw.js', 'dist/lib/vault.js', 'dist/lib/react.js', 'dist/lib/vue.js', 'dist/lib/svelte.js', 'dist/lib/angular.js', 'dist/lib/sw.classic.js', 'dist/lib/sw.classic.d.ts', 'dist/lib/types/src/index.d.ts'],
    build() {
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
    },
  });
  process.exit(outOfDate ? 1 : 0);
}

if (what === 'demo') {
  // The pages, workers, plain Workbox recipe and example PWA share dist/demo (the pages' build empties it): one part.
  await part('demo', {
    inputs: ['demo', 'dist/lib/sw.classic.js'],
    outputs: ['dist/demo/index.html', 'dist/demo/sw.js', 'dist/demo/vault-frame/sw.js', 'dist/demo/workbox/sw.js', 'dist/demo/pwa/index.html'],
    async build() {
      const { injectManifest } = await import('workbox-build');
      step('demo pages', ['vite', 'build', '--mode', 'demo']);
      for (const worker of ['worker', 'sealed-worker', 'offline-worker', 'oidc-worker', 'dpop-worker', 'dpop-handoff-worker', 'apis-worker', 'dpop-oidc-worker', 'vault-worker']) step(`demo ${worker}`, ['vite', 'build', '--mode', worker]);
      // The importScripts example loads the classic build from the demo's origin.
      mkdirSync('dist/demo/classic', { recursive: true });
      copyFileSync('dist/lib/sw.classic.js', 'dist/demo/classic/sw.classic.js');
      // The plain Workbox recipe: bundle the worker, then let workbox-build inject the precache manifest.
      step('plain Workbox example worker', ['vite', 'build', '--mode', 'workbox-worker']);
      const injected = await injectManifest({
        swSrc: 'dist/demo/workbox/sw.js',
        swDest: 'dist/demo/workbox/sw.js',
        globDirectory: 'dist/demo',
        globPatterns: ['workbox/index.html', 'assets/*.{js,css}'],
        modifyURLPrefix: { '': '/' },
      });
      for (const warning of injected.warnings) console.warn(`workbox-build: ${warning}`);
      console.log('build: plain Workbox example, precache manifest injected');
      step('example PWA', ['vite', 'build', '--config', 'demo/pwa/vite.config.ts']);
    },
  });
  await part('server', {
    inputs: ['server', 'scripts/port-in-use.mjs'],
    outputs: ['dist/server/main.js'],
    build: () => step('demo server', ['vite', 'build', '--mode', 'server']),
  });
  process.exit(outOfDate ? 1 : 0);
}

// What only the tests use.
await part('example PWA, second version', {
  inputs: ['demo/pwa', 'dist/lib/sw.classic.js'],
  outputs: ['dist/pwa-v2/index.html'],
  build: () => step('example PWA, second version', ['vite', 'build', '--config', 'demo/pwa/vite.config.ts'], { PWA_VERSION: '2', PWA_OUT_DIR: 'dist/pwa-v2' }),
});
await part('test fixtures', {
  inputs: ['tests/e2e/idp', 'sw', 'src', 'protocol'],
  outputs: ['dist/idp/sw.js', 'dist/idp/page.js', 'dist/idp/oidc-sw.js', 'dist/idp/oidc-page.js'],
  build() {
    for (const fixture of ['idp-worker', 'idp-page', 'idp-oidc-worker', 'idp-oidc-page']) step(`test fixture ${fixture}`, ['vite', 'build', '--mode', fixture]);
  },
});
process.exit(outOfDate ? 1 : 0);
