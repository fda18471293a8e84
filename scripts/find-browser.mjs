// @ts-check
/**
 * Finds a Chromium for the end-to-end tests on a fresh machine: $CHROMIUM_PATH, then
 * Playwright's own browser if installed, then the system's, else installs one
 * (Debian's `chromium` as root with apt, or Playwright's installer), else fails with a
 * message that says how to get one. Never returns nothing: tests are not skipped silently.
 */
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/** Flags that keep Chromium quiet on a machine without internet, as root, without a GPU. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const SYSTEM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

function playwrightChromium() {
  try {
    const { chromium } = createRequire(import.meta.url)('playwright-core');
    const path = chromium.executablePath();
    return path && existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

/** @returns {string | undefined} */
export function findChromium() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  return playwrightChromium() ?? SYSTEM_PATHS.find((path) => existsSync(path));
}

/** @param {string} command */
function tryRun(command) {
  console.error(`[find-browser] ${command}`);
  try {
    execSync(command, { stdio: ['ignore', 'inherit', 'inherit'], timeout: 15 * 60_000 });
    return true;
  } catch {
    return false;
  }
}

/** Finds Chromium or installs one. @returns {string} */
export function findOrInstallChromium() {
  let found = findChromium();
  if (found) return found;
  console.error('[find-browser] No Chromium found; trying to install one.');
  // Debian's package first where we can: it comes from the distribution's mirror, which
  // machines without general internet access often still reach; Playwright's download does not.
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    if (tryRun('apt-get update -qq') && tryRun('DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium')) found = findChromium();
  }
  if (!found && tryRun('npx --no-install playwright install chromium')) found = findChromium();
  if (found) return found;
  throw new Error(
    [
      'No Chromium for the end-to-end tests, and installing one failed.',
      'Get one of these, then run the tests again:',
      '  - Playwright\'s browser:   npx playwright install chromium',
      '  - Debian/Ubuntu:          sudo apt-get install -y chromium',
      '  - any Chromium or Chrome: CHROMIUM_PATH=/path/to/chrome npm test',
    ].join('\n'),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(findOrInstallChromium());
}
