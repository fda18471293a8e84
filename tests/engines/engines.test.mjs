// @ts-check
/**
 * The core claims in Firefox and WebKit, the engines a PWA's users also have (Chromium's
 * suite is tests/e2e). Real browsers, the real built demo and workers, the demo server on
 * 127.0.0.1. Counts come from the server's stats.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { freePort, launchFirefox, launchWebKit } from './drivers.mjs';

/** @typedef {import('./drivers.mjs').Tab} Tab */

/** Fires `count` parallel API calls through the page's axios instance; how they ended. */
const fire = (/** @type {number} */ count) =>
  Promise.allSettled(Array.from({ length: count }, () => window.demo.api.get('/api/data'))).then((results) =>
    results.map((r) => (r.status === 'fulfilled' ? 'ok' : /** @type {any} */ (r.reason).code ?? `HTTP ${/** @type {any} */ (r.reason).response?.status}`)),
  );
const login = () => window.demo.broker.login({ username: 'demo', password: 'demo' }).then(() => true);
const status = () => window.demo.broker.status();

for (const [engineName, launch] of /** @type {const} */ ([
  ['Firefox', launchFirefox],
  ['WebKit', launchWebKit],
])) {
  describe(`${engineName}`, () => {
    /** @type {import('./drivers.mjs').Engine} */
    let engine;
    /** @type {import('node:child_process').ChildProcess} */
    let server;
    let base = '';
    /** @type {Tab[]} */
    let tabs = [];
    /** @type {Tab} */
    let sealed;
    /** @type {Tab} */
    let dpop;
    /** @type {Tab} */
    let classic;

    /** @param {string} path @param {unknown} [body] */
    const post = async (path, body) => {
      const response = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
      assert.ok(response.ok, `${path} answered ${response.status}`);
      return response.json();
    };
    const stats = async () => (await fetch(`${base}/auth/stats`)).json();
    /** @param {Tab} tab */
    const ready = async (tab) => {
      for (let i = 0; i < 150; i++) {
        if (await tab.evaluate(() => document.body.dataset.ready)) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      throw new Error('the page did not start');
    };

    before(async () => {
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      server = spawn(process.execPath, ['dist/server/main.js'], { env: { ...process.env, PORT: String(port), TEST_HOOKS: '1', REFRESH_DELAY_MS: '50' }, stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise((resolve, reject) => {
        server.once('exit', (code) => reject(new Error(`demo server exited with ${code}`)));
        server.stdout?.on('data', (chunk) => String(chunk).includes('http://') && resolve(undefined));
      });
      engine = await launch();
      for (let i = 0; i < 3; i++) tabs.push(await engine.newTab(`${base}/`));
      sealed = await engine.newTab(`${base}/sealed/`);
      dpop = await engine.newTab(`${base}/dpop/`);
      classic = await engine.newTab(`${base}/classic/`);
      for (const tab of [...tabs, sealed, dpop, classic]) await ready(tab);
    });

    after(async () => {
      await engine?.close();
      server?.kill();
    });

    it('logs in once, and every tab shares the session and calls the API', async () => {
      await tabs[0].evaluate(login);
      const generations = [];
      for (const tab of tabs) {
        const current = await tab.evaluate(status);
        assert.equal(current.loggedIn, true);
        generations.push(current.generation);
        assert.deepEqual(await tab.evaluate(fire, 2), ['ok', 'ok']);
      }
      assert.equal(new Set(generations).size, 1);
    });

    it('an expiry storm in 3 tabs (handoff): every request succeeds, exactly one refresh, no reuse', async () => {
      await tabs[0].evaluate(login);
      for (const tab of tabs) await tab.evaluate(fire, 1);
      await post('/auth/test/expire-access-tokens');
      await post('/auth/stats/reset');
      const results = await Promise.all(tabs.map((tab) => tab.evaluate(fire, 10)));
      assert.deepEqual(results.flat(), Array(30).fill('ok'));
      const counted = await stats();
      assert.equal(counted.refreshes, 1);
      assert.equal(counted.reuseDetected, 0);
    });

    it('the same storm in sealed mode: the worker signs, refreshes once and retries, no token in the page', async () => {
      await sealed.evaluate(login);
      await post('/auth/test/expire-access-tokens');
      await post('/auth/stats/reset');
      assert.deepEqual(await sealed.evaluate(fire, 10), Array(10).fill('ok'));
      const counted = await stats();
      assert.equal(counted.refreshes, 1);
      assert.equal(counted.reuseDetected, 0);
      const refused = await sealed.evaluate(() => window.demo.broker.getAccessToken().then(() => 'token', (error) => error.code));
      assert.equal(refused, 'not-supported');
    });

    it('DPoP (sealed, keys in the worker): an expiry storm refreshes once with proofs, every request succeeds', async () => {
      await dpop.evaluate(login);
      await post('/auth/test/expire-access-tokens');
      await post('/auth/stats/reset');
      assert.deepEqual(await dpop.evaluate(fire, 10), Array(10).fill('ok'));
      const counted = await stats();
      assert.equal(counted.refreshes, 1);
      assert.equal(counted.dpopRejected, 0);
      assert.equal(counted.reuseDetected, 0);
    });

    it('the classic worker (importScripts of the classic build) logs in and calls the API, and its own handler still answers', async () => {
      await classic.evaluate(login);
      assert.deepEqual(await classic.evaluate(fire, 3), ['ok', 'ok', 'ok']);
      const hello = await classic.evaluate(
        () =>
          new Promise((resolve) => {
            const channel = new MessageChannel();
            channel.port1.onmessage = (event) => resolve(event.data);
            navigator.serviceWorker.getRegistration('/classic/').then((registration) => registration?.active?.postMessage('hello', [channel.port2]));
          }),
      );
      assert.equal(hello, 'hello from the classic worker');
    });

    it('the refresh token reaches no page: not in worker messages, replies, events, responses or storages', async () => {
      for (const tab of tabs) {
        await tab.evaluate(() => {
          const seen = /** @type {string[]} */ ([]);
          /** @type {any} */ (window).__seen = seen;
          navigator.serviceWorker.addEventListener('message', (event) => seen.push(JSON.stringify(event.data)));
          // Replies come back on ports the client opens: record what arrives on them.
          const original = Object.getOwnPropertyDescriptor(MessagePort.prototype, 'onmessage');
          Object.defineProperty(MessagePort.prototype, 'onmessage', {
            configurable: true,
            set(handler) {
              original?.set?.call(this, (/** @type {MessageEvent} */ event) => {
                seen.push(JSON.stringify(event.data));
                return handler?.(event);
              });
            },
            get() {
              return original?.get?.call(this);
            },
          });
          window.demo.api.interceptors.response.use((response) => (seen.push(JSON.stringify(response.data)), response));
          return true;
        });
      }
      await tabs[0].evaluate(login);
      await post('/auth/test/expire-access-tokens');
      for (const tab of tabs) assert.deepEqual(await tab.evaluate(fire, 3), ['ok', 'ok', 'ok']);
      const refreshToken = await tabs[0].evaluate(
        () =>
          new Promise((resolve, reject) => {
            // What injected script could do: read it from the broker's database (not protected in handoff).
            const open = indexedDB.open('sw-token-broker:demo');
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
              const get = open.result.transaction('kv').objectStore('kv').get('session');
              get.onsuccess = () => resolve(get.result.refreshToken);
            };
          }),
      );
      assert.match(String(refreshToken), /^rt_/);
      for (const tab of tabs) {
        const received = await tab.evaluate(() => JSON.stringify({ seen: /** @type {any} */ (window).__seen, local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie }));
        assert.ok(received.includes('generation'), 'the recorder saw broker traffic');
        assert.equal(received.includes(String(refreshToken)), false);
      }
    });

    it('the token endpoint failing: retryable errors, the session kept, recovery after the cool-down', async () => {
      await tabs[0].evaluate(login);
      await tabs[0].evaluate(fire, 1);
      await post('/auth/test/fault', { refresh: '503' });
      await post('/auth/test/expire-access-tokens');
      const failed = await tabs[0].evaluate(fire, 5);
      assert.deepEqual(failed, Array(5).fill('refresh-unavailable'));
      const current = await tabs[0].evaluate(status);
      assert.equal(current.loggedIn, true);
      await post('/auth/test/fault', { refresh: 'none' });
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, (current.refreshRetryAt ?? 0) - Date.now()) + 200));
      assert.deepEqual(await tabs[0].evaluate(fire, 5), Array(5).fill('ok'));
    });

    it('a rejected refresh grant ends the session in every tab', async () => {
      await tabs[0].evaluate(login);
      for (const tab of tabs) {
        await tab.evaluate(fire, 1);
        await tab.evaluate(() => {
          /** @type {any} */ (window).ended = [];
          window.demo.broker.on('session-ended', (event) => /** @type {any} */ (window).ended.push(event.reason));
          return true;
        });
      }
      await post('/auth/test/revoke-all');
      await post('/auth/test/expire-access-tokens');
      assert.deepEqual(await tabs[0].evaluate(fire, 3), Array(3).fill('session-ended'));
      // Every tab is told; a request a tab makes afterwards finds no session.
      for (const tab of tabs) {
        for (let i = 0; i < 50 && (await tab.evaluate(() => /** @type {any} */ (window).ended.length)) === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(await tab.evaluate(() => /** @type {any} */ (window).ended.length), 1);
        assert.equal((await tab.evaluate(status)).loggedIn, false);
      }
      assert.deepEqual(await tabs[2].evaluate(fire, 2), ['not-logged-in', 'not-logged-in']);
    });

    it('logout in one tab reaches every tab, and the server revoked the refresh token', async () => {
      await tabs[0].evaluate(login);
      await post('/auth/stats/reset');
      await tabs[1].evaluate(() => window.demo.broker.logout().then(() => true));
      for (const tab of tabs) assert.equal((await tab.evaluate(status)).loggedIn, false);
      for (let i = 0; i < 50 && (await stats()).revocations < 1; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal((await stats()).revocations, 1);
    });
  });
}
