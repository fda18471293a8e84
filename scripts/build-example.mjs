// @ts-check
/**
 * Builds `examples/vite-pwa` against the package as users get it: `npm pack` (the library
 * must be built), the tarball unpacked as `node_modules/sw-token-broker` of the example
 * (its own dependencies, and the example's tools, resolve from the repository's
 * node_modules, as a workspace would), then the example's own `tsc -b && vite build`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const example = join(root, 'examples/vite-pwa');
const scratch = join(root, 'test-results');
mkdirSync(scratch, { recursive: true });
const work = mkdtempSync(join(scratch, 'example-pack-'));
try {
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' }));
  execFileSync('tar', ['-xzf', join(work, packed.filename), '-C', work]);
  const installed = join(example, 'node_modules/sw-token-broker');
  rmSync(installed, { recursive: true, force: true });
  mkdirSync(join(example, 'node_modules'), { recursive: true });
  renameSync(join(work, 'package'), installed);
  console.log(`build-example: installed ${packed.filename} into examples/vite-pwa`);
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b'], { cwd: example, stdio: 'inherit' });
  execFileSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build'], { cwd: example, stdio: 'inherit' });
} finally {
  rmSync(work, { recursive: true, force: true });
}
