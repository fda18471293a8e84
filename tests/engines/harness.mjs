// @ts-check
/** What the engine suites share: polling, and the built demo server on a free port. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { freePort } from './drivers.mjs';

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

