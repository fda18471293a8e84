// @ts-check
/**
 * What users' bundlers make of the package: `npm pack`, the tarball installed into a scratch
 * project, each entry built (minified, gzip -9) the way an app imports it. The page entry as
 * it loads before registering (and with its lazy chunks), each binding on top of the page
 * entry, and a worker built from `sw-token-broker/sw` with `jsonEndpoint` (and with the
 * OpenID adapter). `npm run bench` reports these; `node scripts/package-sizes.mjs --write`
 * measures them alone into docs/bench.json's `bundle` and the README's size line.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = resolve(import.meta.dirname, '..');
const BINDINGS = ['react', 'vue', 'svelte', 'angular'];

/** @param {string} file */
function size(file) {
  const data = readFileSync(file);
  return { raw: data.length, gzip: gzipSync(data, { level: 9 }).length };
}

/** Measures the packed package (the library must be built). */
export async function measurePackageSizes() {
  mkdirSync(join(root, 'test-results'), { recursive: true });
  // Inside the repository: the entries' own dependencies resolve from its node_modules, as a workspace would.
  const work = mkdtempSync(join(root, 'test-results', 'sizes-'));
  try {
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' }));
    const app = join(work, 'app');
    mkdirSync(join(app, 'node_modules'), { recursive: true });
    execFileSync('tar', ['-xzf', join(work, packed.filename), '-C', work]);
    execFileSync('mv', [join(work, 'package'), join(app, 'node_modules', 'sw-token-broker')]);
    const entries = {
      page: "export * from 'sw-token-broker';\n",
      // A binding with the page entry, as an app has both: its cost is what it adds to the page entry's chunks.
      ...Object.fromEntries(BINDINGS.map((name) => [name, `export * from 'sw-token-broker';\nexport * from 'sw-token-broker/${name}';\n`])),
      worker: "import { installTokenBroker, jsonEndpoint } from 'sw-token-broker/sw';\ninstallTokenBroker({ endpoint: jsonEndpoint({ loginUrl: '/auth/login', refreshUrl: '/auth/refresh', logoutUrl: '/auth/logout' }), apiAllowlist: [self.location.origin + '/api/'] });\n",
      oauth: "import { installTokenBroker, oidcEndpoint } from 'sw-token-broker/sw';\ninstallTokenBroker({ endpoint: oidcEndpoint({ issuer: 'https://id.example.com', clientId: 'spa', redirectUri: self.location.origin + '/callback' }), apiAllowlist: [self.location.origin + '/api/'] });\n",
    };
    for (const [name, source] of Object.entries(entries)) writeFileSync(join(app, `${name}.js`), source);
    const { build } = await import('vite');
    // As an app's production build: Workbox's development checks stay out (library mode would keep them).
    const common = { root: app, configFile: /** @type {false} */ (false), logLevel: /** @type {const} */ ('silent'), define: { 'process.env.NODE_ENV': JSON.stringify('production') } };
    const out = (/** @type {string} */ name) => join(work, 'out', name);
    await build({ ...common, build: { outDir: out('page'), minify: true, lib: { entry: join(app, 'page.js'), formats: ['es'], fileName: () => 'page.js' }, rolldownOptions: { external: [/^axios/] } } });
    for (const name of BINDINGS) {
      await build({ ...common, build: { outDir: out(name), minify: true, lib: { entry: join(app, `${name}.js`), formats: ['es'], fileName: () => `${name}.js` }, rolldownOptions: { external: [/^axios/, /^react/, /^vue$/, /^@angular\//, /^rxjs/] } } });
    }
    for (const name of ['worker', 'oauth']) {
      await build({ ...common, build: { outDir: out(name), minify: true, lib: { entry: join(app, `${name}.js`), formats: ['iife'], name: 'w', fileName: () => 'sw.js' } } });
    }
    // What a page loads before registering: the entry and the chunks it imports statically (transitively).
    const initial = new Set(['page.js']);
    for (const file of initial) {
      for (const [, imported] of readFileSync(join(out('page'), file), 'utf8').matchAll(/(?:^|[;\n])\s*import\s[^;]*?from\s*"\.\/([^"]+)"/g)) initial.add(imported);
    }
    const first = [...initial].map((file) => size(join(out('page'), file)));
    /** Every chunk of a build, gzipped, by file name. @param {string} dir */
    const chunks = (dir) => readdirSync(dir, { recursive: true }).map(String).filter((file) => file.endsWith('.js')).map((file) => ({ file, ...size(join(dir, file)) }));
    const sum = (/** @type {{ gzip: number }[]} */ list) => list.reduce((total, each) => total + each.gzip, 0);
    // The page-side broker (`fallback`) loads only where no service worker runs: counted apart.
    const isFallback = (/** @type {string} */ file) => file.startsWith('fallback-');
    const page = chunks(out('page'));
    const binding = (/** @type {string} */ name) => sum(chunks(out(name))) - sum(page);
    return {
      measuredFrom: packed.filename,
      pageGzipBytes: sum(page.filter((each) => !isFallback(each.file))),
      pageFallbackGzipBytes: sum(page.filter((each) => isFallback(each.file))),
      pageInitialGzipBytes: first.reduce((sum, each) => sum + each.gzip, 0),
      pageMinBytes: first.reduce((sum, each) => sum + each.raw, 0),
      workerGzipBytes: size(join(out('worker'), 'sw.js')).gzip,
      workerMinBytes: size(join(out('worker'), 'sw.js')).raw,
      workerOauthGzipBytes: size(join(out('oauth'), 'sw.js')).gzip,
      reactBindingGzipBytes: binding('react'),
      vueBindingGzipBytes: binding('vue'),
      svelteBindingGzipBytes: binding('svelte'),
      angularBindingGzipBytes: binding('angular'),
    };
  } finally {
    if (process.env.KEEP_SIZES) console.log(work);
    else rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const bundle = await measurePackageSizes();
  console.log(JSON.stringify(bundle, null, 2));
  if (process.argv.includes('--write')) {
    const file = join(root, 'docs/bench.json');
    const results = JSON.parse(readFileSync(file, 'utf8'));
    results.bundle = bundle;
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    const { writeReport } = await import('../bench/report.mjs');
    writeReport(results);
  }
}
