// @ts-check
/**
 * Finds Firefox and WebKit for the cross-engine suite, installing Debian's packages when
 * missing and running as root with apt (`firefox-esr`, `webkit2gtk-driver`, `xvfb`, `xauth`),
 * else fails with a message that says how to get them. Never returns nothing: an engine
 * that cannot start fails the suite, it is not skipped.
 *
 * Firefox ESR runs over WebDriver BiDi with puppeteer-core; WebKit is Debian's MiniBrowser
 * under Xvfb, driven by WebKitWebDriver (Playwright's own builds cannot be downloaded here).
 */
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const FIREFOX = ['/usr/lib/firefox-esr/firefox-esr', '/usr/lib/firefox/firefox'];
const MINIBROWSER = ['/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser', '/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser'];
const WEBKIT_DRIVER = '/usr/bin/WebKitWebDriver';
const XVFB = '/usr/bin/Xvfb';

function found() {
  return {
    firefox: process.env.FIREFOX_PATH ?? FIREFOX.find((path) => existsSync(path)),
    miniBrowser: process.env.MINIBROWSER_PATH ?? MINIBROWSER.find((path) => existsSync(path)),
    webkitDriver: existsSync(WEBKIT_DRIVER) ? WEBKIT_DRIVER : undefined,
    xvfb: existsSync(XVFB) ? XVFB : undefined,
  };
}

/** @returns {{ firefox: string, miniBrowser: string, webkitDriver: string, xvfb: string }} */
export function findOrInstallEngines() {
  let engines = found();
  const complete = () => Object.values(engines).every(Boolean);
  if (!complete() && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.error('[find-engines] installing firefox-esr, webkit2gtk-driver, xvfb and xauth with apt');
    try {
      execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends firefox-esr webkit2gtk-driver xvfb xauth', {
        stdio: ['ignore', 'inherit', 'inherit'],
        timeout: 15 * 60_000,
      });
    } catch {
      // Reported below, with what is missing.
    }
    engines = found();
  }
  if (complete()) return /** @type {any} */ (engines);
  const missing = Object.entries(engines).filter(([, path]) => !path).map(([name]) => name);
  throw new Error(
    [
      `The cross-engine tests need Firefox and WebKit; missing: ${missing.join(', ')}.`,
      'On Debian/Ubuntu: sudo apt-get install -y --no-install-recommends firefox-esr webkit2gtk-driver xvfb xauth',
      'Or point FIREFOX_PATH / MINIBROWSER_PATH at the binaries.',
    ].join('\n'),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(findOrInstallEngines());
