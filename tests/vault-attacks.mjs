// @ts-check
/**
 * The attacker suite against vault mode, shared by every engine: script injected into the
 * app's page (an XSS, a compromised dependency) with the vault connected and logged in,
 * doing what it can to get a token. Each attack runs in the page and returns what it got;
 * its check asserts the outcome. Chromium runs them from tests/e2e/vault.spec.ts (and adds a
 * heap snapshot), Firefox and WebKit from tests/engines.
 *
 * The in-page functions are sent to the browser as source: they use nothing from this module.
 */
import assert from 'node:assert/strict';

/**
 * What the runner gives each check.
 * @typedef {{
 *   engine: 'Chromium' | 'Firefox' | 'WebKit',
 *   secrets: string[],
 *   echoes: () => Promise<Array<{ authorization: string | null }>>,
 *   tab: { evaluate: (fn: any, ...args: any[]) => Promise<any>, reload: () => Promise<unknown>, click: (selector: string) => Promise<void> },
 * }} AttackContext
 * @typedef {{ appOrigin: string, vaultOrigin: string, vaultUrl: string }} PageArgs
 * @typedef {{ title: string, run: (args: PageArgs) => Promise<unknown>, check: (result: any, context: AttackContext) => Promise<void> | void }} Attack
 */

/**
 * In the page, before each attack: the attacker's tool, a port of its own connected to the
 * vault frame as openVault connects one, and `call`, which sends one message on it and
 * waits for the reply with its id (or any reply when `id` is '': a message that has none).
 */
export function installAttackerTools() {
  /** @param {string} vaultOrigin */
  const connect = async (vaultOrigin) => {
    const frame = /** @type {HTMLIFrameElement} */ (document.querySelector('iframe[title="sw-token-broker vault"]'));
    const channel = new MessageChannel();
    /** @type {Map<string, (reply: any) => void>} */
    const waiting = new Map();
    const connected = new Promise((resolve) => {
      setTimeout(() => resolve({ timeout: true }), 5000);
      channel.port1.onmessage = (event) => {
        const id = event.data?.id;
        if (typeof id !== 'string') return resolve(event.data);
        (waiting.get(id) ?? waiting.get(''))?.(event.data);
      };
    });
    /** @type {any} */ (frame.contentWindow).postMessage({ protocol: 'sw-token-broker-vault', v: 1, type: 'connect' }, vaultOrigin, [channel.port2]);
    /** @param {unknown} message @param {string} [id] */
    const call = (message, id = `a${Math.random().toString(36).slice(2)}`) =>
      new Promise((resolve) => {
        const timer = setTimeout(() => resolve({ timeout: true }), 5000);
        waiting.set(id, (reply) => {
          clearTimeout(timer);
          waiting.delete(id);
          resolve(reply);
        });
        channel.port1.postMessage(id === '' ? message : { .../** @type {object} */ (message), id });
      });
    return { connected: await connected, call, close: () => channel.port1.close() };
  };
  /** @type {any} */ (window).__attacker = { connect };
  return true;
}

/** @type {Attack[]} */
export const vaultAttacks = [
  {
    title: "reads the vault frame's document, storages and database: another origin's, every read throws",
    run: async () => {
      const frame = /** @type {HTMLIFrameElement} */ (document.querySelector('iframe[title="sw-token-broker vault"]'));
      const target = /** @type {any} */ (frame.contentWindow);
      /** @type {Record<string, string>} */
      const outcomes = {};
      /** @type {Record<string, (w: any) => unknown>} */
      const reads = {
        document: (w) => w.document.body.innerHTML,
        localStorage: (w) => w.localStorage.length,
        indexedDB: (w) => w.indexedDB.databases(),
        serviceWorker: (w) => w.navigator.serviceWorker.controller,
        location: (w) => w.location.href,
      };
      for (const [name, read] of Object.entries(reads)) {
        try {
          await read(target);
          outcomes[name] = 'read';
        } catch (error) {
          outcomes[name] = /** @type {Error} */ (error).name;
        }
      }
      return outcomes;
    },
    check(outcomes) {
      assert.deepEqual(outcomes, { document: 'SecurityError', localStorage: 'SecurityError', indexedDB: 'SecurityError', serviceWorker: 'SecurityError', location: 'SecurityError' });
    },
  },
  {
    title: 'connects a port of its own to the vault: it can use the session (as page script can in sealed mode), and no answer carries a token',
    run: async (args) => {
      const { connected, call, close } = await /** @type {any} */ (window).__attacker.connect(args.vaultOrigin);
      /** @type {Record<string, any>} */
      const results = { connected };
      results.status = await call({ type: 'status' });
      results.getToken = await call({ type: 'getToken' });
      results.brokerGetToken = await call({ protocol: 'sw-token-broker', v: 1, type: 'getToken' });
      // Its own Authorization header: the vault drops it, its worker adds the session's.
      results.api = await call({ type: 'request', request: { method: 'GET', url: `${args.appOrigin}/api/data`, headers: { authorization: 'Bearer forged' }, body: null } });
      // Outside the vault worker's allowlist (/api/): refused before any request.
      results.outside = await call({ type: 'request', request: { method: 'GET', url: `${args.appOrigin}/auth/test/echo`, headers: {}, body: null } });
      // An allowlisted URL redirecting outside it: the vault follows no redirect.
      results.redirect = await call({ type: 'request', request: { method: 'GET', url: `${args.appOrigin}/api/test/redirect?to=${encodeURIComponent('/auth/test/echo')}`, headers: {}, body: null } });
      close();
      return results;
    },
    async check(results, { echoes }) {
      assert.equal(results.connected.type, 'ready', JSON.stringify(results.connected));
      assert.equal(results.status.ok, true);
      assert.equal(results.status.result.loggedIn, true);
      assert.equal(results.getToken.error?.code, 'unknown-type');
      assert.equal(results.brokerGetToken.error?.code, 'unknown-type');
      assert.equal(results.api.result?.status, 200, JSON.stringify(results.api));
      assert.match(results.api.result.body, /"user"/);
      assert.equal(results.outside.error?.code, 'not-supported');
      assert.equal(results.redirect.result?.status, 0, JSON.stringify(results.redirect));
      assert.deepEqual(await echoes(), [], 'nothing reached the echo endpoint, with or without a token');
    },
  },
  {
    title: 'sends the vault malformed calls (a Map, bytes, deep nesting, a 2 MB body, TRACE, javascript: URLs, credentials that are not strings): typed errors, and it keeps serving',
    run: async (args) => {
      const { connected, call, close } = await /** @type {any} */ (window).__attacker.connect(args.vaultOrigin);
      /** @type {any} */
      let nested = { type: 'request' };
      for (let i = 0; i < 500; i++) nested = { request: nested };
      const api = `${args.appOrigin}/api/data`;
      /** @type {Array<[unknown, string | undefined]>} */
      const messages = [
        // Without an id, so the reply has none ('' waits for it).
        [new Map([['type', 'status']]), ''],
        [new Uint8Array(64).buffer, ''],
        [{ type: nested }, undefined],
        [{ type: 'request', request: { method: 'POST', url: api, headers: {}, body: 'x'.repeat(2 * 1024 * 1024) } }, undefined],
        [{ type: 'request', request: { method: 'TRACE', url: api, headers: {}, body: null } }, undefined],
        [{ type: 'request', request: { method: 'GET', url: 'javascript:alert(1)', headers: {}, body: null } }, undefined],
        [{ type: 'request', request: { method: 'GET', url: api, headers: { a: 1 }, body: null } }, undefined],
        [{ type: 'login', credentials: { username: ['demo'] } }, undefined],
        [{ type: 'authorize', returnTo: 'https://evil.example/', check: 'c'.repeat(20) }, undefined],
      ];
      const codes = [];
      for (const [message, id] of messages) {
        const reply = await call(message, id);
        codes.push(reply.ok === false ? reply.error.code : JSON.stringify(reply));
      }
      const after = await call({ type: 'status' });
      close();
      return { connected: connected.type, codes, stillServing: after.ok === true && after.result.loggedIn };
    },
    check(results) {
      assert.equal(results.connected, 'ready');
      assert.deepEqual(results.codes, [
        'malformed-message',
        'malformed-message',
        'message-too-large',
        'malformed-message',
        'malformed-message',
        'malformed-message',
        'malformed-message',
        'malformed-message',
        'malformed-message',
      ]);
      assert.equal(results.stillServing, true);
    },
  },
  {
    title: 'opens the vault as a window of its own (on a click, as popup blockers require) and asks it to connect: a vault page outside a frame answers nothing',
    run: async (args) => {
      const button = document.createElement('button');
      button.id = 'attacker-open';
      button.textContent = 'A button the attacker put here';
      button.onclick = async () => {
        const opened = window.open(args.vaultUrl, '_blank');
        if (!opened) return void (/** @type {any} */ (window).__popupResult = 'the browser blocked the window');
        await new Promise((resolve) => setTimeout(resolve, 2000));
        const channel = new MessageChannel();
        const answer = new Promise((resolve) => {
          channel.port1.onmessage = (event) => resolve(JSON.stringify(event.data));
          setTimeout(() => resolve('no answer'), 3000);
        });
        opened.postMessage({ protocol: 'sw-token-broker-vault', v: 1, type: 'connect' }, args.vaultOrigin, [channel.port2]);
        /** @type {any} */ (window).__popupResult = await answer;
        opened.close();
      };
      document.body.prepend(button);
      return true;
    },
    async check(_installed, { tab, engine }) {
      await tab.click('#attacker-open');
      const deadline = Date.now() + 15_000;
      let result;
      while (Date.now() < deadline && result === undefined) {
        result = await tab.evaluate(() => /** @type {any} */ (window).__popupResult);
        if (result === undefined) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      // WebKit's MiniBrowser refuses window.open here even on a WebDriver click: the attack cannot start.
      assert.equal(result, engine === 'WebKit' ? 'the browser blocked the window' : 'no answer');
    },
  },
  {
    title: "unregisters every worker and wipes every storage of the app's origin, then reloads: the session in the vault is untouched",
    run: async () => {
      for (const registration of await navigator.serviceWorker.getRegistrations()) await registration.unregister();
      for (const database of await indexedDB.databases()) if (database.name) indexedDB.deleteDatabase(database.name);
      for (const name of await caches.keys()) await caches.delete(name);
      localStorage.clear();
      sessionStorage.clear();
      return true;
    },
    async check(_result, { tab }) {
      await tab.reload();
      const deadline = Date.now() + 20_000;
      let ready;
      while (Date.now() < deadline && ready !== 'true') {
        ready = await tab.evaluate(() => document.body.dataset.ready).catch(() => undefined);
        if (ready !== 'true') await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.equal(ready, 'true', 'the vault page started again');
      const status = await tab.evaluate(() => window.demo.broker.status());
      assert.equal(status.loggedIn, true);
      const statuses = await tab.evaluate(() => Promise.all([1, 2, 3].map(() => window.demo.api.get('/api/data').then((response) => response.status))));
      assert.deepEqual(statuses, [200, 200, 200]);
    },
  },
];

/** In the page: everything script in the app's origin can read, as one string (storages, every IndexedDB database, caches, cookies). */
export async function everythingTheAppOriginHolds() {
  /** @type {unknown[]} */
  const out = [{ ...localStorage }, { ...sessionStorage }, document.cookie];
  for (const info of await indexedDB.databases()) {
    if (!info.name) continue;
    const db = await new Promise((resolve, reject) => {
      const open = indexedDB.open(/** @type {string} */ (info.name));
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    for (const store of Array.from(/** @type {IDBDatabase} */ (db).objectStoreNames)) {
      out.push(
        info.name,
        await new Promise((resolve) => {
          const all = /** @type {IDBDatabase} */ (db).transaction(store).objectStore(store).getAll();
          all.onsuccess = () => resolve(all.result);
        }),
      );
    }
    /** @type {IDBDatabase} */ (db).close();
  }
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) out.push(request.url, await (await cache.match(request))?.text());
  }
  out.push(/** @type {any} */ (window).__received ?? []);
  return JSON.stringify(out);
}
