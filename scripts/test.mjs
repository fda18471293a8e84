// @ts-check
/**
 * `npm test`: builds, type-checks, runs the unit tests (Vitest), the package tests, the
 * cross-engine tests (Firefox and WebKit) and the end-to-end tests (Playwright, real
 * Chromium), and ends with one line `N passed, N failed` over all of them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { findOrInstallChromium } from './find-browser.mjs';
import { findOrInstallDjangoOAuthToolkit, findOrInstallGlewlwyd } from './find-providers.mjs';
import { requireFreePorts, testPorts } from './ports.mjs';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(`npm test: the whole suite, in stages (times measured on two cores, about 18 min in all)

  1. build             the library, the demo, test-only pages, and the examples from the packed
                       tarball (React, Vue, Svelte; Angular in its own folder)     ~3 min
  2. typecheck         tsc -b over sources and tests                                ~20 s
  3. unit tests        Vitest, in Node                                              ~40 s
  4. package tests     npm pack, installed into an empty project                    ~10 s
  5. Firefox, WebKit   tests/engines: Firefox ESR (BiDi) and WebKitGTK under Xvfb   ~4 min
  6. fallback          tests/fallback in Firefox and WebKit with service workers
                       off, and Chromium with the site's data blocked               ~1 min
  7. end-to-end        Playwright in Chromium, against the demo server, the
                       examples, oidc-provider, Django OAuth Toolkit, Glewlwyd      ~9 min

What it needs: Node 20.19+, the npm registry (npm ci; the Angular example installs its
own packages), and Debian's apt. Missing browsers and providers (chromium, firefox-esr,
webkit2gtk-driver, xvfb, glewlwyd, python3-django-oauth-toolkit) are installed with
apt-get as root; without root it stops and names the packages to install.
The test ports (scripts/ports.mjs) must be free; stage 6 in Chromium writes, then removes,
a managed policy file under /etc/chromium/policies/managed.
Ends with one line "N passed, N failed" (also in test-results/summary.txt).
Run one stage: npm run test:unit, npm run test:e2e, node --test tests/engines/.`);
  process.exit(0);
}

// Plain output when not on a terminal (a CI log, a pipe): Vitest colours whenever TERM allows, even into a pipe.
if (!process.stdout.isTTY && !('FORCE_COLOR' in process.env)) process.env.NO_COLOR = '1';

// A port in use is one sentence naming it and its variable, before anything is built.
await requireFreePorts(testPorts());

const results = 'test-results';
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });

/** @param {string} label @param {string} command @param {string[]} args */
function run(label, command, args) {
  console.log(`\n=== ${label}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: process.env });
  return result.status === 0;
}

/** @param {string} file */
function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

let passed = 0;
let failed = 0;
let skipped = 0;
let ok = true;
/** One line per suite (per engine for the browser suites), printed above the total. */
const bySuite = /** @type {string[]} */ ([]);

if (
  !run('build', 'npm', ['run', 'build']) ||
  !run('build the demo', 'npm', ['run', 'build:demo']) ||
  !run('build what only the tests use', 'npm', ['run', 'build:test']) ||
  !run('build the example from the packed tarball', process.execPath, ['scripts/build-example.mjs'])
) {
  console.log('\nThe build failed.');
  finish(1);
}
if (!run('typecheck', 'npm', ['run', 'typecheck'])) ok = false;

run('unit tests', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${results}/unit.json`]);
const unit = readJson(`${results}/unit.json`);
if (unit) {
  passed += unit.numPassedTests;
  failed += unit.numFailedTests;
  bySuite.push(`unit (Vitest): ${unit.numPassedTests} passed, ${unit.numFailedTests} failed`);
  skipped += unit.numPendingTests + unit.numTodoTests;
  if (!unit.success) ok = false;
} else {
  console.log('Vitest wrote no report: counting the unit suite as one failure.');
  failed += 1;
}

/**
 * Runs a `node --test` suite and adds its TAP counts; a suite that writes no summary
 * counts as one failure.
 * @param {string} label @param {string} dir @param {Record<string, string>} [env]
 */
function nodeSuite(label, dir, env = {}) {
  const result = spawnSync(process.execPath, ['--test', '--test-reporter=tap', dir], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  console.log(`\n=== ${label}: node --test ${dir}\n${result.stdout}${result.stderr}`);
  /** @param {string} name */
  const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(result.stdout)?.[1] ?? NaN);
  if (Number.isFinite(count('pass')) && Number.isFinite(count('fail'))) {
    passed += count('pass');
    failed += count('fail');
    bySuite.push(`${label}: ${count('pass')} passed, ${count('fail')} failed`);
    if (result.status !== 0) ok = false;
  } else {
    console.log(`${label} wrote no summary: counting it as one failure.`);
    bySuite.push(`${label}: no summary (counted as 1 failure)`);
    failed += 1;
    ok = false;
  }
}

// The package as users install it: packed, installed into an empty project, imported by Node.
nodeSuite('package tests', 'tests/package/');
// Firefox and WebKit (Debian's packages, installed here when missing and running as root;
// an engine that cannot start fails the suite, it is never skipped).
// Each engine in its own run, so the summary reports per engine.
nodeSuite('Firefox (tests/engines)', 'tests/engines/', { ENGINES: 'firefox' });
nodeSuite('WebKit (tests/engines)', 'tests/engines/', { ENGINES: 'webkit' });
// Where no service worker can run (DESIGN, "Where no service worker runs"): the page-side fallback.
nodeSuite('Firefox, service workers off (tests/fallback)', 'tests/fallback/', { ENGINES: 'firefox' });
nodeSuite('WebKit, service workers off (tests/fallback)', 'tests/fallback/', { ENGINES: 'webkit' });
nodeSuite('Chromium, site data blocked (tests/fallback)', 'tests/fallback/', { ENGINES: 'chromium' });

// Fails with instructions when no browser can be found or installed: never a silent skip.
findOrInstallChromium();
// Django OAuth Toolkit and Glewlwyd, providers nobody here wrote (Debian's packages; installed when missing as root).
findOrInstallDjangoOAuthToolkit();
findOrInstallGlewlwyd();
run('end-to-end tests', 'npx', ['playwright', 'test']);
const e2e = readJson(`${results}/e2e.json`);
if (e2e?.stats) {
  passed += e2e.stats.expected;
  failed += e2e.stats.unexpected + e2e.stats.flaky;
  bySuite.push(`Chromium (tests/e2e, Playwright): ${e2e.stats.expected} passed, ${e2e.stats.unexpected + e2e.stats.flaky} failed`);
  skipped += e2e.stats.skipped;
  if (e2e.stats.unexpected + e2e.stats.flaky > 0 || (e2e.errors?.length ?? 0) > 0) ok = false;
  if (e2e.stats.skipped > 0) {
    console.log('End-to-end tests were skipped: that is a failure here.');
    ok = false;
  }
} else {
  console.log('Playwright wrote no report: counting the end-to-end suite as one failure.');
  failed += 1;
}
if (passed === 0) ok = false;
finish(ok && failed === 0 ? 0 : 1);

/** @param {number} code @returns {never} */
function finish(code) {
  const line = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
  writeFileSync(`${results}/summary.txt`, `${[...bySuite, line].join('\n')}\n`);
  console.log(`\n${bySuite.join('\n')}\n${line}`);
  process.exit(code);
}
