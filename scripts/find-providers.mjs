// @ts-check
/**
 * Finds the identity providers from Debian that the end-to-end tests run (so our own mock
 * is never the only witness): Django OAuth Toolkit 1.7 with Django 3.2, under Debian's
 * Python, and Glewlwyd 2.7. Installs the packages when missing and running as root with
 * apt, else fails with a message that says how to get them. Never returns nothing: a
 * provider that cannot start fails the suite, it is not skipped.
 */
import { execSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's Python, which has Debian's Django packages (a pyenv or venv python on PATH does not). */
export const DEBIAN_PYTHON = '/usr/bin/python3';
/** Glewlwyd's server, from Debian's `glewlwyd` package (with its SQLite init script and web app). */
export const GLEWLWYD = '/usr/bin/glewlwyd';

function hasDjangoOAuthToolkit() {
  if (!existsSync(DEBIAN_PYTHON)) return false;
  return spawnSync(DEBIAN_PYTHON, ['-c', 'import django, oauth2_provider'], { stdio: 'ignore' }).status === 0;
}

function hasGlewlwyd() {
  // The server needs Debian's Python too, for its database (sqlite3).
  return existsSync(GLEWLWYD) && existsSync('/usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz') && existsSync(DEBIAN_PYTHON);
}

/**
 * Returns `found()` once true, installing `packages` with apt first when it is not (as root).
 * @param {string} what @param {string[]} packages @param {() => boolean} found @param {string} result
 */
function findOrInstall(what, packages, found, result) {
  if (found()) return result;
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.error(`[find-providers] installing ${packages.join(', ')} with apt`);
    try {
      execSync(`apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${packages.join(' ')}`, {
        stdio: ['ignore', 'inherit', 'inherit'],
        timeout: 15 * 60_000,
      });
    } catch {
      // Reported below.
    }
    if (found()) return result;
  }
  throw new Error([`The end-to-end tests run ${what}, which is missing.`, `On Debian/Ubuntu: sudo apt-get install -y --no-install-recommends ${packages.join(' ')}`].join('\n'));
}

/** @returns {string} the Python that runs tests/e2e/idp/dot-server.py */
export function findOrInstallDjangoOAuthToolkit() {
  return findOrInstall('Django OAuth Toolkit', ['python3-django-oauth-toolkit', 'python3-django-cors-headers'], hasDjangoOAuthToolkit, DEBIAN_PYTHON);
}

/** @returns {string} Glewlwyd's binary, which tests/e2e/idp/glewlwyd-server.mjs runs */
export function findOrInstallGlewlwyd() {
  return findOrInstall('Glewlwyd', ['glewlwyd', 'python3'], hasGlewlwyd, GLEWLWYD);
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(findOrInstallDjangoOAuthToolkit(), findOrInstallGlewlwyd());
