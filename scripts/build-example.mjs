// @ts-check
/**
 * Builds the examples (`examples/vite-pwa`, `examples/react-pwa`, `examples/vue-pwa`, `examples/svelte-pwa`)
 * against the package as users get it: `npm pack` once (the library must be built), the
 * tarball unpacked as `node_modules/sw-token-broker` of each example (its own dependencies,
 * and the examples' tools, resolve from the repository's node_modules, as a workspace
 * would), then each example's own `tsc -b && vite build`.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const EXAMPLES = (process.env.EXAMPLES ?? 'vite-pwa,react-pwa,vue-pwa,svelte-pwa,angular-pwa').split(',');
/**
 * Examples with tools of their own (Angular's builder needs TypeScript 5.9, the repository has
 * 7): installed from their own lockfile with `npm ci` (again when the lockfile changed), the
 * packed tarball copied in after, built with their own `npm run build`.
 */
const OWN_TOOLS = new Set(['angular-pwa']);
const scratch = join(root, 'test-results');
mkdirSync(scratch, { recursive: true });
const work = mkdtempSync(join(scratch, 'example-pack-'));
try {
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' }));
  execFileSync('tar', ['-xzf', join(work, packed.filename), '-C', work]);
  for (const name of EXAMPLES) {
    const example = join(root, 'examples', name);
    if (OWN_TOOLS.has(name)) installOwnTools(example);
    const installed = join(example, 'node_modules/sw-token-broker');
    rmSync(installed, { recursive: true, force: true });
    mkdirSync(join(example, 'node_modules'), { recursive: true });
    cpSync(join(work, 'package'), installed, { recursive: true });
    // `vite` dev's pre-bundled dependencies would still hold the previous tarball.
    rmSync(join(example, 'node_modules/.vite'), { recursive: true, force: true });
    console.log(`build-example: installed ${packed.filename} into examples/${name}`);
    if (OWN_TOOLS.has(name)) {
      execFileSync('npm', ['run', 'build'], { cwd: example, stdio: 'inherit', env: { ...process.env, NG_CLI_ANALYTICS: 'false' } });
      continue;
    }
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b'], { cwd: example, stdio: 'inherit' });
    execFileSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build'], { cwd: example, stdio: 'inherit' });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** `npm ci` in an example with tools of its own, unless its node_modules came from the same lockfile. @param {string} example */
function installOwnTools(example) {
  const lock = readFileSync(join(example, 'package-lock.json'));
  const stamp = join(example, 'node_modules/.lock-installed');
  if (existsSync(stamp) && readFileSync(stamp).equals(lock)) return;
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: example, stdio: 'inherit' });
  writeFileSync(stamp, lock);
}
