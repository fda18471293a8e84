// @ts-check
/**
 * Finds the identity providers from Debian that the end-to-end tests run (so our own mock
 * is never the only witness): Django OAuth Toolkit 1.7 with Django 3.2, under Debian's
 * Python. Installs the packages when missing and running as root with apt, else fails with
 * a message that says how to get them. Never returns nothing: a provider that cannot start
 * fails the suite, it is not skipped.
 */
import { execSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's Python, which has Debian's Django packages (a pyenv or venv python on PATH does not). */
export const DEBIAN_PYTHON = '/usr/bin/python3';
const PACKAGES = ['python3-django-oauth-toolkit', 'python3-django-cors-headers'];

function hasDjangoOAuthToolkit() {
  if (!existsSync(DEBIAN_PYTHON)) return false;
  return spawnSync(DEBIAN_PYTHON, ['-c', 'import django, oauth2_provider'], { stdio: 'ignore' }).status === 0;
}

/** @returns {string} the Python that runs tests/e2e/idp/dot-server.py */
export function findOrInstallDjangoOAuthToolkit() {
  if (hasDjangoOAuthToolkit()) return DEBIAN_PYTHON;
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.error(`[find-providers] installing ${PACKAGES.join(', ')} with apt`);
    try {
      execSync(`apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${PACKAGES.join(' ')}`, {
        stdio: ['ignore', 'inherit', 'inherit'],
        timeout: 15 * 60_000,
      });
    } catch {
      // Reported below.
    }
    if (hasDjangoOAuthToolkit()) return DEBIAN_PYTHON;
  }
  throw new Error(
    [
      'The end-to-end tests run Django OAuth Toolkit, which is missing.',
      `On Debian/Ubuntu: sudo apt-get install -y --no-install-recommends ${PACKAGES.join(' ')}`,
    ].join('\n'),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(findOrInstallDjangoOAuthToolkit());
