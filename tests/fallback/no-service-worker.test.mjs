// @ts-check
/**
 * Where no service worker can run, configured as users' browsers are: Firefox with service
 * workers switched off by preference (`dom.serviceWorkers.enabled`), WebKit with its
 * ServiceWorkers feature off, and Chromium with site
 * data blocked for the app's origin by a managed policy (`CookiesBlockedForUrls`: the
 * worker's registration is refused and IndexedDB denied). The main demo allows the page-side
 * fallback (`registerTokenBroker(…, { fallback })`): the same API, one refresh for all tabs
 * (Web Locks elect one tab to run the broker; the others ask it over a BroadcastChannel).
 * `ENGINES=firefox`, `webkit` or `chromium` picks the engine (npm test runs each).
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { launchChromium, launchFirefox, launchWebKit } from '../engines/drivers.mjs';
import { loginThroughProvider, startServer, until } from '../engines/harness.mjs';
import { everythingTheAppOriginHolds } from '../vault-attacks.mjs';

/** @typedef {import('../engines/drivers.mjs').Tab} Tab */

const login = () => window.demo.broker.login({ username: 'demo', password: 'demo' }).then(() => true);
/** Fires `count` parallel API calls through the page's axios instance; how they ended. */
const fire = (/** @type {number} */ count) =>
  Promise.allSettled(Array.from({ length: count }, () => window.demo.api.get('/api/data'))).then((results) =>
    results.map((r) => (r.status === 'fulfilled' ? 'ok' : /** @type {any} */ (r.reason).code ?? `HTTP ${/** @type {any} */ (r.reason).response?.status}`)),
  );
/** What this tab knows of the session without asking (the snapshot the broker's events keep). */
const knows = () => ({ loggedIn: window.demo.broker.getSnapshot().status?.loggedIn ?? null, mode: window.demo.broker.mode });
/** Waits until the demo page started, or failed to. @param {Tab} tab */
const ready = async (tab) => {
  const state = await until(() => tab.evaluate(() => document.body.dataset.ready), 'the page to start');
  if (state !== 'true') assert.fail(`the demo page failed to start: ${await tab.evaluate(() => document.querySelector('#log')?.textContent ?? document.body.textContent)}`);
};

const POLICY_DIR = '/etc/chromium/policies/managed';

const ENGINES = {
  /** Service workers switched off by preference: no `navigator.serviceWorker` at all; IndexedDB works. */
  firefox: { label: 'Firefox, service workers off', storage: 'indexeddb', launch: () => launchFirefox({ 'dom.serviceWorkers.enabled': false }) },
  /** WebKitGTK's MiniBrowser with the ServiceWorkers feature off (`--features=-ServiceWorkers`). */
  webkit: { label: 'WebKit, service workers off', storage: 'indexeddb', launch: () => launchWebKit(['--features=-ServiceWorkers']) },
  /** Site data blocked for the origin: the registration is refused, IndexedDB denied (the session lives in the leading tab). */
  chromium: { label: 'Chromium, site data blocked by policy', storage: 'memory', launch: () => launchChromium() },
};
const selected = (process.env.ENGINES ?? 'firefox,webkit,chromium').split(',').map((name) => {
  const engine = ENGINES[/** @type {keyof typeof ENGINES} */ (name.trim().toLowerCase())];
  if (!engine) throw new Error(`ENGINES: unknown engine ${name} (firefox, webkit, chromium)`);
  return [name.trim().toLowerCase(), engine];
});

for (const [key, engineSetup] of selected) {
  describe(/** @type {any} */ (engineSetup).label, () => {
    const setup = /** @type {(typeof ENGINES)[keyof typeof ENGINES]} */ (engineSetup);
    /** @type {import('../engines/drivers.mjs').Engine} */
    let engine;
    /** @type {Awaited<ReturnType<typeof startServer>>} */
    let app;
    const policyFile = `${POLICY_DIR}/sw-token-broker-fallback-test-${process.pid}.json`;
    /** @type {Tab[]} */
    const tabs = [];

    before(async () => {
      app = await startServer({ REFRESH_DELAY_MS: '50' });
      if (key === 'chromium') {
        // Read by Chromium at launch; removed after the suite.
        mkdirSync(POLICY_DIR, { recursive: true });
        writeFileSync(policyFile, JSON.stringify({ CookiesBlockedForUrls: [app.base] }));
      }
      engine = await setup.launch();
      for (let i = 0; i < 8; i++) tabs.push(await engine.newTab(`${app.base}/`));
      for (const tab of tabs) await ready(tab);
    });

    after(async () => {
      await engine?.close();
      app?.server.kill();
      rmSync(policyFile, { force: true });
    });

    it("no service worker runs, and the demo runs the broker in the page: status().mode is 'page'", async () => {
      const worker = await tabs[0].evaluate(async () => {
        if (!navigator.serviceWorker) return 'no navigator.serviceWorker';
        return navigator.serviceWorker.register('/sw.js').then(
          () => 'registered',
          (/** @type {Error} */ error) => `refused: ${error.name}`,
        );
      });
      assert.match(worker, key === 'chromium' ? /^refused: / : /^no navigator\.serviceWorker$|^refused: /);
      for (const tab of tabs) {
        assert.equal((await tab.evaluate(() => window.demo.broker.status())).mode, 'page');
        assert.equal(await tab.evaluate(() => window.demo.broker.mode), 'page');
      }
    });

    it('a login in one tab reaches every tab; storms at 1, 2, 4 and 8 tabs after expiry: one grant each, no reuse, nothing failed', async () => {
      await tabs[1].evaluate(login);
      for (const tab of tabs) await until(async () => (await tab.evaluate(knows)).loggedIn === true, 'every tab to hear the login');
      for (const count of [1, 2, 4, 8]) {
        await app.post('/auth/test/expire-access-tokens');
        await app.post('/auth/stats/reset');
        const results = await Promise.all(tabs.slice(0, count).map((tab) => tab.evaluate(fire, 5)));
        assert.deepEqual(results.flat(), Array(5 * count).fill('ok'), `${count} tabs`);
        const counted = await app.stats();
        assert.equal(counted.refreshes, 1, `${count} tabs: refreshes`);
        assert.equal(counted.reuseDetected, 0, `${count} tabs: reuse`);
      }
    });

    it('a tab opened later shares the session; a logout in one tab reaches every tab', async () => {
      await tabs[0].evaluate(login);
      const later = await engine.newTab(`${app.base}/`);
      await ready(later);
      assert.equal((await later.evaluate(() => window.demo.broker.status())).loggedIn, true);
      assert.deepEqual(await later.evaluate(fire, 2), ['ok', 'ok']);
      await tabs[5].evaluate(() => window.demo.broker.logout().then(() => true));
      for (const tab of [...tabs, later]) await until(async () => (await tab.evaluate(knows)).loggedIn === false, 'every tab to hear the logout');
      await later.close?.();
    });

    it(
      setup.storage === 'indexeddb'
        ? 'the leading tab closes: another takes over from IndexedDB, the session is kept, and the next storm is one grant'
        : 'the leading tab closes: the session lived in its memory (site data blocked), so the next leader has none; a new login works',
      async () => {
        await tabs[1].evaluate(login);
        // The first tab opened leads (it asked for the lock first).
        await tabs[0].close?.();
        const rest = tabs.slice(1);
        await app.post('/auth/test/expire-access-tokens');
        await app.post('/auth/stats/reset');
        if (setup.storage === 'indexeddb') {
          const results = await Promise.all(rest.map((tab) => tab.evaluate(fire, 3)));
          assert.deepEqual(results.flat(), Array(3 * rest.length).fill('ok'));
          assert.equal((await app.stats()).refreshes, 1);
        } else {
          await until(async () => (await rest[0].evaluate(() => window.demo.broker.status())).loggedIn === false, 'the new leader to find no session');
          await rest[2].evaluate(login);
          assert.deepEqual(await rest[3].evaluate(fire, 2), ['ok', 'ok']);
        }
        assert.equal((await app.stats()).reuseDetected, 0);
      },
    );
  });
}

// Login by redirect in the page: the provider sends the browser back to the callback, which the
// server serves as the app's page, and the page-side broker exchanges the code. Not in Chromium here:
// with the site's data blocked (Chromium here) the tab may keep no one-time check, and
// loginWithRedirect refuses with not-supported (asserted below).
for (const [key, engineSetup] of selected) {
  describe(`${/** @type {any} */ (engineSetup).label}: login by redirect against oidc-provider`, () => {
    const setup = /** @type {(typeof ENGINES)[keyof typeof ENGINES]} */ (engineSetup);
    /** @type {import('../engines/drivers.mjs').Engine} */
    let engine;
    /** @type {Awaited<ReturnType<typeof startServer>>} */
    let provider;
    const policyFile = `${POLICY_DIR}/sw-token-broker-fallback-oidc-test-${process.pid}.json`;

    before(async () => {
      provider = await startServer({ IDP: 'oidc', REFRESH_DELAY_MS: '0' });
      if (key === 'chromium') {
        mkdirSync(POLICY_DIR, { recursive: true });
        writeFileSync(policyFile, JSON.stringify({ CookiesBlockedForUrls: [provider.base] }));
      }
      engine = await setup.launch();
    });

    after(async () => {
      await engine?.close();
      provider?.server.kill();
      rmSync(policyFile, { force: true });
    });

    it(
      key !== 'chromium'
        ? 'logs in through the provider, the page finishing the callback; two tabs share one refresh after expiry, no reuse'
        : 'loginWithRedirect refuses with not-supported: the tab may keep no one-time check',
      async () => {
        const tab = await engine.newTab(`${provider.base}/`);
        await ready(tab);
        assert.equal(await tab.evaluate(() => window.demo.broker.mode), 'page');
        if (key === 'chromium') {
          const refused = await tab.evaluate(() => window.demo.broker.loginWithRedirect().then(() => 'navigated', (/** @type {any} */ error) => error.code));
          assert.equal(refused, 'not-supported');
          return;
        }
        await provider.post('/auth/test/config', { accessTtlSeconds: 3 });
        await loginThroughProvider(tab, provider.base, '/');
        assert.equal(new URL(await tab.url()).search, '', 'no code or state left in the address');
        assert.equal((await tab.evaluate(() => window.demo.broker.status())).loggedIn, true);
        const other = await engine.newTab(`${provider.base}/`);
        await ready(other);
        assert.equal((await other.evaluate(() => window.demo.broker.status())).loggedIn, true);
        // The provider's tokens expire by their lifetime (it has no test hook to expire them early).
        await new Promise((resolve) => setTimeout(resolve, 3300));
        await provider.post('/auth/test/config', { accessTtlSeconds: 30 });
        await provider.post('/auth/stats/reset');
        const results = await Promise.all([tab, other].map((each) => each.evaluate(fire, 4)));
        assert.deepEqual(results.flat(), Array(8).fill('ok'));
        const counted = await provider.stats();
        assert.equal(counted.refreshes, 1);
        assert.equal(counted.reuseDetected, 0);
      },
    );
  });
}

// Vault mode without a worker: the vault frame (the vault's origin) runs the page-side broker
// itself, so the app's origin still holds no token.
for (const [key, engineSetup] of selected) {
  describe(`${/** @type {any} */ (engineSetup).label}: vault mode`, () => {
    const setup = /** @type {(typeof ENGINES)[keyof typeof ENGINES]} */ (engineSetup);
    /** @type {import('../engines/drivers.mjs').Engine} */
    let engine;
    /** @type {Awaited<ReturnType<typeof startServer>>} */
    let app;
    const policyFile = `${POLICY_DIR}/sw-token-broker-fallback-vault-test-${process.pid}.json`;

    before(async () => {
      app = await startServer({ REFRESH_DELAY_MS: '50' });
      if (key === 'chromium') {
        mkdirSync(POLICY_DIR, { recursive: true });
        writeFileSync(policyFile, JSON.stringify({ CookiesBlockedForUrls: [app.base, app.vaultBase] }));
      }
      engine = await setup.launch();
    });

    after(async () => {
      await engine?.close();
      app?.server.kill();
      rmSync(policyFile, { force: true });
    });

    it("the vault frame runs the broker on the vault's origin: three app tabs share one refresh, no reuse, and the app's origin holds no token", async () => {
      const vaultTabs = [];
      for (let i = 0; i < 3; i++) vaultTabs.push(await engine.newTab(`${app.base}/vault/`));
      for (const tab of vaultTabs) await ready(tab);
      assert.equal((await vaultTabs[0].evaluate(() => window.demo.broker.status())).mode, 'page');
      await vaultTabs[0].evaluate(login);
      for (const tab of vaultTabs) assert.equal((await tab.evaluate(() => window.demo.broker.status())).loggedIn, true);
      await app.post('/auth/test/expire-access-tokens');
      await app.post('/auth/stats/reset');
      const results = await Promise.all(vaultTabs.map((tab) => tab.evaluate(fire, 5)));
      assert.deepEqual(results.flat(), Array(15).fill('ok'));
      const counted = await app.stats();
      assert.equal(counted.refreshes, 1);
      assert.equal(counted.reuseDetected, 0);
      // The mock server's tokens start with rt_ and at_. With the site's data blocked (Chromium) the app's origin can hold nothing at all.
      if (setup.storage === 'indexeddb') {
        const held = await vaultTabs[0].evaluate(everythingTheAppOriginHolds);
        for (const prefix of ['rt_', 'at_']) assert.equal(held.includes(prefix), false, held);
        const inTheVault = await vaultTabs[0].evaluateInFrame(() =>
          new Promise((resolve, reject) => {
            const open = indexedDB.open('sw-token-broker:demo-vault');
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
              const get = open.result.transaction('kv').objectStore('kv').get('session');
              get.onsuccess = () => resolve(get.result?.refreshToken ?? null);
              get.onerror = () => reject(get.error);
            };
          }),
        );
        assert.match(String(inTheVault), /^rt_/, "the session is in the vault's database");
      }
    });
  });
}

