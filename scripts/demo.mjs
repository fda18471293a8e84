// @ts-check
/**
 * `npm run demo`: checks the demo's ports first (one sentence for a port in use, before
 * anything is built), builds what changed (nothing, the second time), then starts the demo
 * server, whose last line is the URL.
 */
import { spawnSync } from 'node:child_process';
import { demoPorts, requireFreePorts } from './ports.mjs';

await requireFreePorts(demoPorts());
for (const what of ['lib', 'demo']) {
  const result = spawnSync(process.execPath, ['scripts/build.mjs', what], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
// The built server (a computed specifier: it is build output, not a source to type-check).
const server = '../dist/server/main.js';
await import(server);
