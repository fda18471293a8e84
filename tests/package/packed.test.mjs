// @ts-check
/**
 * What users install: the tarball `npm pack` makes, installed into an empty project,
 * imported by plain Node (ESM import and CommonJS require, as server-side rendering does),
 * and checked by publint and @arethetypeswrong/cli. Run by `npm test` after the build.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';

const root = resolve(import.meta.dirname, '../..');
let work = '';
let tarball = '';

/** @param {string} command @param {string[]} args @param {string} cwd */
const run = (command, args, cwd) => execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

before(() => {
  // Inside the repository, so the README snippets can resolve axios and TypeScript's DOM
  // types from its node_modules; sw-token-broker itself comes from the tarball only.
  execFileSync('mkdir', ['-p', join(root, 'test-results')]);
  work = mkdtempSync(join(root, 'test-results', 'packed-'));
  // The library is built by then (npm test builds first); pack it as it would be published.
  const [packed] = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], root));
  tarball = join(work, packed.filename);
  const app = join(work, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], app);
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('ships the library, its types and the licence, and nothing from the repository besides', () => {
    const files = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--dry-run', '--json'], root))[0].files.map((/** @type {{ path: string }} */ f) => f.path);
    for (const expected of ['LICENSE', 'README.md', 'package.json', 'dist/lib/index.js', 'dist/lib/sw.js', 'dist/lib/sw.classic.js', 'dist/lib/sw.classic.d.ts', 'dist/lib/types/src/index.d.ts', 'dist/lib/types/sw/index.d.ts', 'dist/lib/react.js', 'dist/lib/vue.js', 'dist/lib/svelte.js', 'dist/lib/angular.js', 'dist/lib/types/react/index.d.ts', 'dist/lib/types/vue/index.d.ts', 'dist/lib/types/svelte/index.d.ts', 'dist/lib/types/angular/index.d.ts']) {
      assert.ok(files.includes(expected), `${expected} is in the tarball`);
    }
    assert.equal(files.filter((/** @type {string} */ f) => !f.startsWith('dist/lib/') && !['LICENSE', 'README.md', 'package.json'].includes(f)).length, 0);
    const manifest = JSON.parse(readFileSync(join(work, 'app/node_modules/sw-token-broker/package.json'), 'utf8'));
    assert.equal(manifest.private, undefined);
    assert.equal(manifest.license, 'MIT');
    // Every peer is optional: each is needed only by the entry that binds it.
    assert.deepEqual(manifest.peerDependenciesMeta, Object.fromEntries(Object.keys(manifest.peerDependencies).map((name) => [name, { optional: true }])));
    assert.deepEqual(Object.keys(manifest.peerDependencies).sort(), ['@angular/common', '@angular/core', 'axios', 'react', 'rxjs', 'vue']);
  });

  it('imports both entries in plain Node as ES modules without throwing (server-side rendering)', () => {
    const script = `
      const page = await import('sw-token-broker');
      const worker = await import('sw-token-broker/sw');
      console.log(JSON.stringify({ page: typeof page.registerTokenBroker, attach: typeof page.attachTokenBroker, guard: page.hasErrorCode(new page.SessionEndedError(), 'session-ended'), worker: typeof worker.installTokenBroker }));
    `;
    const out = run(process.execPath, ['--input-type=module', '-e', script], join(work, 'app'));
    assert.deepEqual(JSON.parse(out), { page: 'function', attach: 'function', guard: true, worker: 'function' });
  });

  it('renders the React and Vue bindings on the server: the fallback, a starting session, nothing touched that only a browser has', () => {
    const script = `
      const React = await import('react');
      const { renderToString } = await import('react-dom/server');
      const { TokenBrokerProvider, useSession } = await import('sw-token-broker/react');
      const Probe = () => React.createElement('i', null, useSession().state);
      const react = renderToString(React.createElement(TokenBrokerProvider, { scriptUrl: '/sw.js', fallback: 'Starting' }, React.createElement(Probe)));
      const { createSSRApp, h, defineComponent } = await import('vue');
      const { renderToString: renderVue } = await import('vue/server-renderer');
      const { createTokenBroker, useSession: useVueSession } = await import('sw-token-broker/vue');
      const Session = defineComponent(() => { const { state } = useVueSession(); return () => h('i', state.value); });
      const vue = await renderVue(createSSRApp(Session).use(createTokenBroker({ scriptUrl: '/sw.js' })));
      const first = (await readFile(new URL(import.meta.resolve('sw-token-broker/react')), 'utf8')).split('\\n')[0];
      console.log(JSON.stringify({ react, vue, first }));
    `;
    const out = run(process.execPath, ['--input-type=module', '-e', `import { readFile } from 'node:fs/promises';\n${script}`], join(work, 'app'));
    assert.deepEqual(JSON.parse(out), { react: 'Starting', vue: '<i>starting</i>', first: '"use client";' });
  });

  it('requires both entries from CommonJS without throwing', () => {
    const script = `
      const page = require('sw-token-broker');
      const worker = require('sw-token-broker/sw');
      console.log(JSON.stringify([typeof page.registerTokenBroker, typeof worker.jsonEndpoint]));
    `;
    const out = run(process.execPath, ['--input-type=commonjs', '-e', script], join(work, 'app'));
    assert.deepEqual(JSON.parse(out), ['function', 'function']);
  });

  it('reports a clear error, not a crash, when registerTokenBroker is called where service workers do not exist', async () => {
    const script = `
      const { registerTokenBroker } = await import('sw-token-broker');
      try { await registerTokenBroker('/sw.js'); } catch (error) { console.log(JSON.stringify({ code: error.code, name: error.name })); }
    `;
    const out = run(process.execPath, ['--input-type=module', '-e', script], join(work, 'app'));
    assert.deepEqual(JSON.parse(out), { code: 'sw-unavailable', name: 'ServiceWorkerUnavailableError' });
  });

  it('passes publint', () => {
    const out = run('npx', ['--no-install', 'publint', '--strict', tarball], root);
    assert.doesNotMatch(out, /error|warning/i, out);
  });

  it('passes @arethetypeswrong/cli for ESM resolution (the package is ESM only; Node 20.19+ requires it from CommonJS)', () => {
    // attw exits non-zero on any problem the profile does not ignore.
    const out = run('npx', ['--no-install', 'attw', tarball, '--profile', 'esm-only', '--format', 'ascii'], root);
    // Eight entries: the page, the worker, the classic worker, the vault, React, Vue, Svelte, Angular.
    assert.equal(out.match(/node16 \(from ESM\): 🟢/g)?.length, 8, out);
    assert.equal(out.match(/bundler: 🟢/g)?.length, 8, out);
  });

  it('compiles the README snippets as written against the packed types', () => {
    const app = join(work, 'app');
    // The README, and the vault's page it links (its snippets moved there).
    const readme = ['README.md', 'docs/vault.md'].map((file) => readFileSync(join(root, file), 'utf8')).join('\n');
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);
    assert.ok(blocks.length >= 3, 'the README has its worker, axios and fetch snippets');
    const workers = blocks.filter((block) => block.includes("from 'sw-token-broker/sw'"));
    const pages = blocks.filter((block) => block.includes("from 'sw-token-broker'"));
    assert.ok(workers.length >= 2 && pages.length >= 3, 'the worker snippets (the broker, the offline queue) and the page snippets (axios, fetch, offline)');
    // docs/recipes.md's offline-queue snippets stand alone: each its own module.
    const recipes = [...readFileSync(join(root, 'docs/recipes.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);
    const recipeWorkers = recipes.filter((block) => block.includes('backgroundSyncQueue('));
    const recipePages = recipes.filter((block) => block.includes('QUEUED_HEADER'));
    assert.ok(recipeWorkers.length >= 1 && recipePages.length >= 1, 'docs/recipes.md shows the offline queue in the worker and the page');
    const workerFiles = [...workers, ...recipeWorkers].map((block, i) => {
      writeFileSync(join(app, `readme-sw-${i}.ts`), `/// <reference lib="webworker" />\n${block}\nexport {};\n`);
      return `readme-sw-${i}.ts`;
    });
    const recipePageFiles = recipePages.map((block, i) => {
      writeFileSync(join(app, `recipe-page-${i}.ts`), `${block}\nexport {};\n`);
      return `recipe-page-${i}.ts`;
    });
    // The fetch snippet continues the axios one (it uses its broker), as a reader would paste them.
    writeFileSync(join(app, 'readme-page.ts'), `${pages.join('\n').replace(/^import \{ createBrokerFetch \} from 'sw-token-broker';$/m, '')}\nexport {};\n`.replace("import { registerTokenBroker, attachTokenBroker } from 'sw-token-broker';", "import { registerTokenBroker, attachTokenBroker, createBrokerFetch } from 'sw-token-broker';"));
    const options = { module: 'esnext', moduleResolution: 'bundler', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: [] };
    writeFileSync(join(app, 'tsconfig.sw.json'), JSON.stringify({ compilerOptions: { ...options, lib: ['es2022', 'webworker'] }, files: workerFiles }));
    writeFileSync(join(app, 'tsconfig.page.json'), JSON.stringify({ compilerOptions: { ...options, lib: ['es2022', 'dom'] }, files: ['readme-page.ts', ...recipePageFiles] }));
    // Vault mode's snippets: the app page and the vault frame's page.
    const vaults = blocks.filter((block) => block.includes("from 'sw-token-broker/vault'"));
    assert.ok(vaults.length >= 1, 'the README has a vault snippet');
    vaults.forEach((block, i) => writeFileSync(join(app, `readme-vault-${i}.ts`), `${block}\nexport {};\n`));
    writeFileSync(join(app, 'tsconfig.vault.json'), JSON.stringify({ compilerOptions: { ...options, lib: ['es2022', 'dom', 'dom.iterable'] }, files: vaults.map((_, i) => `readme-vault-${i}.ts`) }));
    // The React (tsx) and Vue snippets, each a main module of its own.
    const reacts = [...readme.matchAll(/```tsx\n([\s\S]*?)```/g)].map((match) => match[1]).filter((block) => block.includes("from 'sw-token-broker/react'"));
    const vues = blocks.filter((block) => block.includes("from 'sw-token-broker/vue'"));
    const angulars = blocks.filter((block) => block.includes("from 'sw-token-broker/angular'"));
    const sveltes = blocks.filter((block) => block.includes("from 'sw-token-broker/svelte'"));
    assert.ok(reacts.length >= 1 && vues.length >= 1 && angulars.length >= 1 && sveltes.length >= 1, 'the README has its React, Vue, Angular and Svelte snippets');
    reacts.forEach((block, i) => writeFileSync(join(app, `readme-react-${i}.tsx`), `${block}\nexport {};\n`));
    const others = { vue: vues, angular: angulars, svelte: sveltes };
    for (const [name, list] of Object.entries(others)) list.forEach((block, i) => writeFileSync(join(app, `readme-${name}-${i}.ts`), `${block}\nexport {};\n`));
    const frameworkFiles = [...reacts.map((_, i) => `readme-react-${i}.tsx`), ...Object.entries(others).flatMap(([name, list]) => list.map((_, i) => `readme-${name}-${i}.ts`))];
    writeFileSync(join(app, 'tsconfig.frameworks.json'), JSON.stringify({ compilerOptions: { ...options, jsx: 'react-jsx', lib: ['es2022', 'dom', 'dom.iterable'] }, files: frameworkFiles }));
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    run(process.execPath, [tsc, '-p', 'tsconfig.sw.json'], app);
    run(process.execPath, [tsc, '-p', 'tsconfig.page.json'], app);
    run(process.execPath, [tsc, '-p', 'tsconfig.vault.json'], app);
    run(process.execPath, [tsc, '-p', 'tsconfig.frameworks.json'], app);
  });

  it("keeps the page entry at or under 5.0 kB gzipped before registering, as a user's bundler builds it from the package", async () => {
    const app = join(work, 'app');
    writeFileSync(join(app, 'entry.js'), "export * from 'sw-token-broker';\n");
    const { build } = await import('vite');
    const out = join(work, 'bundle');
    await build({ root: app, configFile: false, logLevel: 'silent', build: { outDir: out, minify: true, lib: { entry: join(app, 'entry.js'), formats: ['es'], fileName: () => 'entry.js' }, rolldownOptions: { external: [/^axios/] } } });
    // What loads before registerTokenBroker runs: the entry and what it imports statically, transitively.
    const initial = new Set(['entry.js']);
    for (const file of initial) {
      for (const [, imported] of readFileSync(join(out, file), 'utf8').matchAll(/(?:^|[;\n])\s*import\s[^;]*?from\s*"\.\/([^"]+)"/g)) initial.add(imported);
    }
    const gzipped = [...initial].reduce((sum, file) => sum + gzipSync(readFileSync(join(out, file)), { level: 9 }).length, 0);
    assert.ok(initial.size > 1 || gzipped > 1000, `the bundle was read (${[...initial].join(', ')})`);
    assert.ok(gzipped <= 5000, `the page entry loads ${gzipped} B gzipped before registering (${[...initial].join(', ')}); at most 5000`);
  });

  it('types the global of the classic build, for a worker without a bundler', () => {
    const app = join(work, 'app');
    writeFileSync(
      join(app, 'classic-worker.ts'),
      [
        '/// <reference types="sw-token-broker/sw/classic" />',
        "importScripts('/sw.classic.js');",
        "SwTokenBroker.installTokenBroker({ endpoint: SwTokenBroker.jsonEndpoint({ loginUrl: '/auth/login', refreshUrl: '/auth/refresh' }), apiAllowlist: [self.location.origin + '/api/'] });",
        '// @ts-expect-error: the config is checked, a misspelt option is an error',
        "SwTokenBroker.installTokenBroker({ endpoint: SwTokenBroker.jsonEndpoint({ loginUrl: '/l', refreshUrl: '/r' }), apiAllowList: [] });",
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { lib: ['es2022', 'webworker'], module: 'esnext', moduleResolution: 'bundler', strict: true, noEmit: true, types: [] }, files: ['classic-worker.ts'] }),
    );
    run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);
    assert.ok(existsSync(join(app, 'node_modules/sw-token-broker/dist/lib/sw.classic.d.ts')));
  });
});
