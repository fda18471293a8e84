// @ts-check
/** What the engine suites share: polling, and the built demo server on a free port. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { freePort } from './drivers.mjs';

/** @typedef {import('./drivers.mjs').Tab} Tab */

/** Waits until `check` returns a truthy value; errors while a page navigates count as not yet. @template T @param {() => Promise<T>} check @param {string} what */
export async function until(check, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last})` : ''}`);
}

/**
 * Starts the built demo server on a free port; resolves once it listens.
 * @param {Record<string, string>} env
 */
export async function startServer(env) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const vaultPort = await freePort();
  const server = spawn(process.execPath, ['dist/server/main.js'], { env: { ...process.env, PORT: String(port), VAULT_PORT: String(vaultPort), TEST_HOOKS: '1', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`demo server exited with ${code}`)));
    server.stdout?.on('data', (chunk) => String(chunk).includes('http://') && resolve(undefined));
  });
  /** @param {string} path @param {unknown} [body] */
  const post = async (path, body) => {
    const response = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
    assert.ok(response.ok, `${path} answered ${response.status}`);
    return response.json();
  };
  const stats = async () => (await fetch(`${base}/auth/stats`)).json();
  return { base, vaultBase: `http://127.0.0.1:${vaultPort}`, server, post, stats };
}

/**
 * Logs in by redirect through oidc-provider's own pages (any name and password: its
 * development interactions), from the demo page at `returnPath`, until the browser is back
 * there and the page has started. @param {Tab} tab @param {string} base @param {string} returnPath
 */
export async function loginThroughProvider(tab, base, returnPath) {
  await tab.evaluate(() => (setTimeout(() => /** @type {HTMLElement} */ (document.querySelector('#login')).click()), true));
  await until(async () => new URL(await tab.url()).origin !== base || (await tab.url()).includes('/oidc/'), 'the provider');
  for (let step = 0; ; step++) {
    assert.ok(step < 6, 'the provider kept asking');
    const at = await until(async () => {
      const url = new URL(await tab.url());
      if (url.origin === base && url.pathname === returnPath) return (await tab.evaluate(() => document.body.dataset.ready === 'true')) && 'back';
      // A page this loop already submitted carries a flag; the next document does not.
      if (url.pathname.includes('/interaction/')) return (await tab.evaluate(() => !(/** @type {any} */ (window).__submitted) && !!document.querySelector('button[type=submit]'))) && 'interaction';
      return false;
    }, "the provider's page or the return to the app");
    if (at === 'back') break;
    // The login form (any name and password: the provider's development interactions), then
    // the consent. Only on the provider's page: puppeteer may run a script again in the
    // next document when a navigation destroyed the first (seen: it logged in twice).
    await tab.evaluate(() => {
      if (!location.pathname.includes('/interaction/')) return false;
      const field = (/** @type {string} */ name, /** @type {string} */ value) => {
        const input = /** @type {HTMLInputElement | null} */ (document.querySelector(`input[name=${name}]`));
        if (input) input.value = value;
      };
      field('login', 'alice');
      field('password', 'anything');
      const button = /** @type {HTMLElement} */ (document.querySelector('button[type=submit]'));
      /** @type {any} */ (window).__submitted = true;
      setTimeout(() => button.click());
      return true;
    });
  }
}
