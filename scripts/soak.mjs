// @ts-check
/**
 * `npm run soak [-- --seconds N] [--seed N] [--json FILE]`: the chaos soak of
 * tests/soak/chaos.mjs against its own demo server and Chromium, ten minutes by default.
 * Prints the report and exits 1 when an invariant broke. `npm test` runs 40 seconds of it
 * (tests/e2e/soak.spec.ts); `npm run bench` runs the long one into the benchmark's JSON.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, findOrInstallChromium } from './find-browser.mjs';
import { requireFreePorts, soakPorts } from './ports.mjs';
import { runChaos } from '../tests/soak/chaos.mjs';

/** @param {string} name @param {string | undefined} fallback */
const argument = (name, fallback) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? process.argv[index + 1] : fallback;
};
const seconds = Number(argument('seconds', '600'));
const seed = Number(argument('seed', String(Date.now() % 100_000)));
const jsonFile = argument('json', undefined);
if (!(seconds > 0)) throw new TypeError('--seconds must be a number > 0');

const [{ port }] = soakPorts();
await requireFreePorts(soakPorts());
const server = spawn(process.execPath, ['dist/server/main.js'], { env: { ...process.env, PORT: String(port), TEST_HOOKS: '1', ACCESS_TTL: '2' }, stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((resolve, reject) => {
  server.once('exit', (code) => reject(new Error(`demo server exited with ${code}`)));
  server.stdout?.on('data', (chunk) => String(chunk).includes('http://') && resolve(undefined));
});
const browser = await chromium.launch({ executablePath: findOrInstallChromium(), args: CHROMIUM_ARGS });
let report;
try {
  const context = await browser.newContext();
  console.log(`soak: ${seconds} s, seed ${seed} (repeat with --seed ${seed})`);
  report = await runChaos({ context, baseURL: `http://127.0.0.1:${port}`, seconds, seed, log: (line) => console.log(line) });
} finally {
  await browser.close();
  server.kill('SIGTERM');
}
console.log(JSON.stringify(report, null, 2));
if (jsonFile) writeFileSync(jsonFile, JSON.stringify(report, null, 2) + '\n');
console.log(report.violations.length === 0 ? 'soak: every invariant held' : `soak: ${report.violations.length} invariants broke`);
process.exit(report.violations.length === 0 ? 0 : 1);
