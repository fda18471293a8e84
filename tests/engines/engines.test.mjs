// @ts-check
/**
 * The core claims in Firefox and WebKit, the engines a PWA's users also have (Chromium's
 * suite is tests/e2e). Real browsers, the real built demo and workers, the demo server on
 * 127.0.0.1. Counts come from the server's stats.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchFirefox, launchWebKit } from './drivers.mjs';
import { loginThroughProvider, startServer, until } from './harness.mjs';
import { everythingTheAppOriginHolds, installAttackerTools, vaultAttacks } from '../vault-attacks.mjs';
import { queueRecords } from '../offline-queue-records.mjs';

/** @typedef {import('./drivers.mjs').Tab} Tab */

/** Fires `count` parallel API calls through the page's axios instance; how they ended. */
const fire = (/** @type {number} */ count) =>
  Promise.allSettled(Array.from({ length: count }, () => window.demo.api.get('/api/data'))).then((results) =>
    results.map((r) => (r.status === 'fulfilled' ? 'ok' : /** @type {any} */ (r.reason).code === 'ERR_NETWORK' ? `ERR_NETWORK: ${/** @type {any} */ (r.reason).cause?.message ?? r.reason.message}` : /** @type {any} */ (r.reason).code ?? `HTTP ${/** @type {any} */ (r.reason).response?.status}`)),
  );
/** In a page: records the session-expiring and session-ended events it hears. */
const recordLifetimeEvents = () => {
  /** @type {Array<{ event: string, endedBy?: string }>} */
  const seen = [];
  /** @type {any} */ (window).__lifetimeEvents = seen;
  for (const type of ['session-expiring', 'session-ended']) {
    window.demo.broker.on(/** @type {any} */ (type), (/** @type {any} */ event) => void seen.push(event.details?.endedBy ? { event: type, endedBy: event.details.endedBy } : { event: type }));
  }
  return true;
};
const lifetimeEvents = () => /** @type {any} */ (window).__lifetimeEvents;

/** Fires `count` calls to each of the /apis/ page's two APIs at once; how they ended. */
const fireBoth = (/** @type {number} */ count) =>
  Promise.allSettled(Array.from({ length: count }, () => [window.demo.api.get('/api/data'), /** @type {any} */ (window.demo).apiB.get('data')]).flat()).then((results) =>
    results.map((r) => (r.status === 'fulfilled' ? 'ok' : /** @type {any} */ (r.reason).code ?? `HTTP ${/** @type {any} */ (r.reason).response?.status}`)),
  );
const login = () => window.demo.broker.login({ username: 'demo', password: 'demo' }).then(() => true);
const status = () => window.demo.broker.status();

/**
 * In a vault page: records, as strings, everything the app's page gets from the vault (window
 * messages, and the results of the vault client's calls) in `window.__received`.
 */
const recordWhatTheVaultSends = () => {
  const seen = /** @type {string[]} */ ([]);
  /** @type {any} */ (window).__received = seen;
  window.addEventListener('message', (event) => seen.push(JSON.stringify(event.data)));
  const vault = /** @type {any} */ (window).vaultDemo.vault;
  for (const call of ['request', 'status', 'login', 'logout']) {
    const method = vault[call].bind(vault);
    vault[call] = (/** @type {any[]} */ ...args) => method(...args).then((/** @type {any} */ result) => (seen.push(JSON.stringify(result)), result));
  }
  return true;
};

/** In a vault page (framed or not): the session in the vault's database, or which stores it has when none. */
const readVaultSession = () =>
  new Promise((resolve, reject) => {
    const open = indexedDB.open('sw-token-broker:demo-vault');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains('kv')) return resolve({ stores: Array.from(db.objectStoreNames) });
      const get = db.transaction('kv').objectStore('kv').get('session');
      get.onsuccess = () => resolve(get.result);
      get.onerror = () => reject(get.error);
    };
  });

/** In a page: POST /api/notes through its axios instance; the status and the queue id of the answer. @param {string} text */
const writeNote = (text) =>
  window.demo.api.post('/api/notes', { text }).then(
    (response) => ({ status: response.status, queued: response.headers['x-sw-token-broker-queued'] ?? null }),
    (/** @type {any} */ error) => ({ status: error.response?.status ?? 0, queued: null, error: String(error.code) }),
  );

/** In a page: the broker's stored session (the tokens the queue must not hold). @param {string} name */
const storedSession = (name) =>
  new Promise((resolve, reject) => {
    const open = indexedDB.open(name);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const get = open.result.transaction('kv').objectStore('kv').get('session');
      get.onsuccess = () => resolve(get.result);
      get.onerror = () => reject(get.error);
    };
  });

/**
 * In a page: starts a replay of the offline queue (`replay`) or an API read (`read`), waits
 * until its refresh reached the server, logs in another user meanwhile, and says how it ended.
 * @param {'replay' | 'read'} what
 */
const loginDuringRefresh = async (what) => {
  const outcome =
    what === 'replay'
      ? window.demo.broker.replayQueue().then(() => 'replayed')
      : window.demo.api.get('/api/data').then((r) => `answered for ${r.data.user}`, (/** @type {any} */ e) => String(e.code));
  const field = what === 'replay' ? 'refreshes' : 'refreshesReceived';
  for (let i = 0; i < 200 && !((await (await fetch('/auth/stats')).json())[field] >= 1); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  await window.demo.broker.login({ username: 'alice', password: 'alice' });
  return outcome;
};

/** In a page: what the browser does when the network returns, which these engines' automation cannot do (no Background Sync either). */
const goOnline = () => (window.dispatchEvent(new Event('online')), true);

/** In a page: records the broker's queue and session events, for {@link queueDiagnosis}. */
const recordEvents = () => {
  const log = /** @type {any} */ (window).__brokerEvents ??= [];
  for (const type of ['queued', 'requeued', 'replayed', 'dropped', 'session-ended', 'storage-failed']) {
    window.demo.broker.on(/** @type {any} */ (type), (/** @type {any} */ event) => log.push({ type, reason: event.reason, dropReason: event.request?.dropReason, url: event.request?.url }));
  }
  return true;
};

/** What the tabs saw, for a queue assertion's message: is the page controlled, and the events it heard. @param {Tab[]} tabs */
const queueDiagnosis = async (tabs) =>
  JSON.stringify(await Promise.all(tabs.map((tab) => tab.evaluate(() => ({ controlled: Boolean(navigator.serviceWorker.controller), events: /** @type {any} */ (window).__brokerEvents ?? [] })).catch((/** @type {unknown} */ error) => String(error)))));

/** Waits until the demo page has started (its client connected to the worker). @param {Tab} tab */
const ready = (tab) => until(() => tab.evaluate(() => document.body.dataset.ready === 'true'), 'the page to start');

// `ENGINES=firefox` or `ENGINES=webkit` runs one engine (npm test runs each separately, to report per engine).
const ENGINES = /** @type {const} */ ({ firefox: ['Firefox', launchFirefox], webkit: ['WebKit', launchWebKit] });
const selected = (process.env.ENGINES ?? 'firefox,webkit').split(',').map((name) => {
  const engine = ENGINES[/** @type {keyof typeof ENGINES} */ (name.trim().toLowerCase())];
  if (!engine) throw new Error(`ENGINES: unknown engine ${name} (firefox, webkit)`);
  return engine;
});

for (const [engineName, launch] of selected) {
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
    /** @type {Tab[]} */
    const offline = [];

    /** @type {(path: string, body?: unknown) => Promise<any>} */
    let post;
    /** @type {() => Promise<any>} */
    let stats;

    before(async () => {
      ({ base, server, post, stats } = await startServer({ REFRESH_DELAY_MS: '50' }));
      engine = await launch();
      for (let i = 0; i < 3; i++) tabs.push(await engine.newTab(`${base}/`));
      sealed = await engine.newTab(`${base}/sealed/`);
      dpop = await engine.newTab(`${base}/dpop/`);
      classic = await engine.newTab(`${base}/classic/`);
      for (let i = 0; i < 2; i++) offline.push(await engine.newTab(`${base}/offline/`));
      for (const tab of [...tabs, sealed, dpop, classic, ...offline]) await ready(tab);
      // The offline-queue tests fail now and then in these engines (a write not kept): their messages say what the tabs heard.
      for (const tab of [sealed, ...offline]) await tab.evaluate(recordEvents);
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

    it('an expiry storm in 3 tabs (handoff) through the 401 path: every request succeeds, exactly one refresh, no reuse', async () => {
      await tabs[0].evaluate(login);
      for (const tab of tabs) await tab.evaluate(fire, 1);
      await post('/auth/test/expire-access-tokens');
      await post('/auth/stats/reset');
      const results = await Promise.all(tabs.map((tab) => tab.evaluate(fire, 10)));
      assert.deepEqual(results.flat(), Array(30).fill('ok'));
      const counted = await stats();
      // The server expired the tokens the pages still think valid: they were answered 401,
      // reported it, and retried (WebKit merges identical GETs, so only "at least one").
      assert.ok(counted.api401 >= 1, `api401 = ${counted.api401}`);
      assert.equal(counted.refreshes, 1);
      assert.equal(counted.reuseDetected, 0);
    });

    it('rule 14, two APIs in 8 tabs after expiry: one grant per API, no reuse, no token sent to the other API', async () => {
      const apiTabs = [];
      for (let i = 0; i < 8; i++) apiTabs.push(await engine.newTab(`${base}/apis/`));
      for (const tab of apiTabs) await ready(tab);
      await apiTabs[0].evaluate(login);
      // Each API's first token (the second API's by its own grant), then both expire at the server.
      assert.deepEqual(await apiTabs[0].evaluate(fireBoth, 1), ['ok', 'ok']);
      await post('/auth/test/expire-access-tokens');
      await post('/auth/stats/reset');
      const results = await Promise.all(apiTabs.map((tab) => tab.evaluate(fireBoth, 3)));
      assert.deepEqual(results.flat(), Array(48).fill('ok'));
      const counted = await stats();
      assert.deepEqual(counted.grantsByResource, { default: 1, 'https://api-b.demo': 1 });
      assert.equal(counted.refreshes, 2);
      assert.equal(counted.reuseDetected, 0);
      // The second API refuses (and counts) any token not issued for it; the first, any that was.
      assert.equal(counted.wrongAudience, 0);
    });

    it('session lifetimes: every tab hears session-expiring then session-ended (expired); the keep-alive keeps 4 idle tabs past the idle timeout with one grant per period', async () => {
      const lifetimeTabs = [];
      for (let i = 0; i < 4; i++) lifetimeTabs.push(await engine.newTab(`${base}/`));
      for (const tab of lifetimeTabs) await ready(tab);
      for (const tab of lifetimeTabs) await tab.evaluate(recordLifetimeEvents);
      try {
        // An absolute end (the server's session max): warned once in every tab, then ended.
        // Long enough that the warning (half the time left after the keep-alive's refresh) is seconds ahead: background tabs' timers run late by up to a second.
        await post('/auth/test/config', { sessionLimits: { absoluteSeconds: 20 } });
        await lifetimeTabs[0].evaluate(login);
        for (const tab of lifetimeTabs) {
          const events = await until(async () => {
            const seen = await tab.evaluate(lifetimeEvents);
            return seen.some((/** @type {any} */ each) => each.event === 'session-ended') && seen;
          }, 'session-ended in every tab');
          assert.deepEqual(events, [{ event: 'session-expiring' }, { event: 'session-ended', endedBy: 'expired' }]);
        }
        // An idle timeout: kept alive by the tabs being open, with no API call.
        await post('/auth/test/config', { sessionLimits: { idleSeconds: 6 } });
        await lifetimeTabs[0].evaluate(login);
        await post('/auth/stats/reset');
        await new Promise((resolve) => setTimeout(resolve, 15_000));
        const counted = await stats();
        assert.ok(counted.refreshes >= 2 && counted.refreshes <= 4, `refreshes = ${counted.refreshes}: one per keep-alive period, however many tabs`);
        assert.equal(counted.refreshesRejected, 0);
        assert.equal(counted.reuseDetected, 0);
        for (const tab of lifetimeTabs) assert.equal((await tab.evaluate(status)).loggedIn, true);
      } finally {
        await post('/auth/test/config', { sessionLimits: {} });
        // Parked on a page without script: their polls would keep the worker awake for the idle-worker test.
        for (const tab of lifetimeTabs) await tab.goto(`${base}/auth/config`);
      }
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

    for (const [mode, database, pick] of /** @type {const} */ ([
      ['handoff', 'sw-token-broker:demo-offline', () => [offline[0], offline[1]]],
      ['sealed', 'sw-token-broker:demo-sealed', () => [sealed]],
    ])) {
      it(`offline queue (${mode}): writes made while the server is unreachable arrive once each, in order, with one refresh, when a page says it is online; the queue holds no token`, async () => {
        const [first, second = first] = pick();
        await first.evaluate(login);
        const session = await first.evaluate(storedSession, database);
        await post('/auth/stats/reset');
        // Automation here cannot switch these engines offline: the server drops every connection instead.
        await post('/auth/test/network', { down: true });
        /** @type {Array<{ status: number, queued: string | null }>} */
        let results;
        try {
          results = [await first.evaluate(writeNote, 'one'), await second.evaluate(writeNote, 'two'), await first.evaluate(writeNote, 'three')];
          // Polled: a replay attempt (at a page's connect or the worker's start) takes a record out while
          // it tries and puts it back when the send fails, so one read can miss it for a moment.
          const threeRecords = async () => {
            const read = /** @type {string[]} */ (await first.evaluate(queueRecords, database));
            return read.length === 3 ? read : undefined;
          };
          const records = /** @type {string[]} */ (
            await until(threeRecords, 'three records in the queue', 10_000).catch(async (/** @type {unknown} */ error) => {
              throw new Error(`${String(error)}; writes ${JSON.stringify(results)}; tabs ${await queueDiagnosis([first, second])}`);
            })
          );
          assert.match(records.join('\n'), /two/);
          for (const token of [session.accessToken, session.refreshToken]) assert.ok(!records.join('\n').includes(token), 'a token in the queue');
          // Meanwhile the server stopped accepting the access token: the replay gets 401, refreshes once, retries.
          await post('/auth/test/expire-access-tokens');
        } finally {
          await post('/auth/test/network', { down: false });
        }
        assert.deepEqual(results.map((r) => r.status), [202, 202, 202]);
        assert.equal(new Set(results.map((r) => r.queued)).size, 3);
        await second.evaluate(goOnline);
        const notes = await until(async () => {
          const { notes: arrived } = await (await fetch(`${base}/auth/demo/notes`)).json();
          return arrived.length >= 3 && arrived;
        }, 'the replayed writes');
        assert.deepEqual(notes.map((/** @type {{ text: string }} */ note) => note.text), ['one', 'two', 'three']);
        const counted = await stats();
        assert.equal(counted.refreshes, 1);
        assert.equal(counted.reuseDetected, 0);
        assert.deepEqual(await first.evaluate(() => window.demo.broker.replayQueue()), { pending: 0 });
        assert.deepEqual(await first.evaluate(queueRecords, database), []);
        assert.equal((await (await fetch(`${base}/auth/demo/notes`)).json()).notes.length, 3);
      });
    }

    it('offline queue: a logout while writes wait clears the queue, and nothing is replayed', async () => {
      const tabs = offline;
      await tabs[0].evaluate(login);
      await post('/auth/stats/reset');
      await post('/auth/test/network', { down: true });
      try {
        for (const [tab, text] of /** @type {const} */ ([[tabs[0], 'one'], [tabs[1], 'two']])) {
          const written = await tab.evaluate(writeNote, text);
          assert.equal(written.status, 202, `write ${JSON.stringify(written)}; tabs ${await queueDiagnosis(tabs)}`);
        }
        await tabs[1].evaluate(() => window.demo.broker.logout().then(() => true));
      } finally {
        await post('/auth/test/network', { down: false });
      }
      await tabs[0].evaluate(goOnline);
      assert.deepEqual(await tabs[0].evaluate(() => window.demo.broker.replayQueue()), { pending: 0 });
      assert.deepEqual(await tabs[0].evaluate(queueRecords), []);
      assert.deepEqual((await (await fetch(`${base}/auth/demo/notes`)).json()).notes, []);
    });

    it("rule 11: a queued write replayed across another user's login is dropped other-user, never filed under that user", async () => {
      const [first, second] = offline;
      await first.evaluate(login);
      await post('/auth/stats/reset');
      await post('/auth/test/network', { down: true });
      try {
        assert.equal((await first.evaluate(writeNote, 'made by demo')).status, 202);
        // The replay's token will be refused, and its refresh answered slowly after the server rotated.
        await post('/auth/test/expire-access-tokens');
        // Long: a WebDriver round trip to WebKit takes hundreds of milliseconds, and the login below must land inside it.
        await post('/auth/test/config', { refreshAnswerDelayMs: 5000 });
      } finally {
        await post('/auth/test/network', { down: false });
      }
      try {
        // One script: WebDriver runs one script at a time, so the login cannot wait in another tab's script.
        await first.evaluate(loginDuringRefresh, 'replay');
        assert.deepEqual((await (await fetch(`${base}/auth/demo/notes`)).json()).notes, []);
        assert.equal(await second.evaluate(() => window.demo.api.get('/api/data').then((r) => r.data.user)), 'alice');
        assert.equal((await stats()).reuseDetected, 0);
      } finally {
        await post('/auth/test/config', { refreshAnswerDelayMs: 0 });
      }
    });

    it('rule 12: a login made while the old session refresh was out survives that refresh being refused', async () => {
      await tabs[0].evaluate(login);
      await post('/auth/stats/reset');
      await post('/auth/test/expire-access-tokens');
      await post('/auth/test/config', { refreshDelayMs: 5000 }); // long enough for a WebDriver round trip or two
      try {
        assert.equal(await tabs[0].evaluate(loginDuringRefresh, 'read'), 'session-changed');
        // The old session's refresh is refused at the server (the login revoked its token), and nothing else happened.
        await until(async () => (await stats()).refreshesRejected >= 1, 'the old refresh to be refused');
        for (const tab of tabs) assert.equal((await tab.evaluate(status)).loggedIn, true);
        // In the tab that logged in (its own login cleared its cache): other tabs keep no token of alice's for the tests after.
        assert.equal(await tabs[0].evaluate(() => window.demo.api.get('/api/data').then((r) => r.data.user)), 'alice');
      } finally {
        await post('/auth/test/config', { refreshDelayMs: 50 });
      }
    });

    it('rule 13: a write the server applied whose answer was lost is queued, replayed with its Idempotency-Key, and arrives once', async () => {
      await offline[0].evaluate(login);
      await post('/auth/stats/reset');
      await post('/auth/test/config', { loseWriteAnswers: 10 });
      let result;
      try {
        result = await offline[0].evaluate(writeNote, 'exactly once');
      } finally {
        await post('/auth/test/config', { loseWriteAnswers: 0 });
      }
      assert.equal(result.status, 202);
      await offline[0].evaluate(goOnline);
      assert.deepEqual(await until(async () => (await offline[0].evaluate(() => window.demo.broker.replayQueue())).pending === 0 && true, 'the replay'), true);
      const { notes } = await (await fetch(`${base}/auth/demo/notes`)).json();
      assert.deepEqual(notes.map((/** @type {{ text: string }} */ note) => note.text), ['exactly once']);
      assert.ok((await stats()).writesDeduplicated >= 1);
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
      // Every tab is told; a request a tab makes afterwards gets the same error, and is not sent without a token.
      for (const tab of tabs) {
        for (let i = 0; i < 50 && (await tab.evaluate(() => /** @type {any} */ (window).ended.length)) === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(await tab.evaluate(() => /** @type {any} */ (window).ended.length), 1);
        assert.equal((await tab.evaluate(status)).loggedIn, false);
      }
      await post('/auth/stats/reset');
      assert.deepEqual(await tabs[2].evaluate(fire, 2), ['session-ended', 'session-ended']);
      assert.equal((await stats()).apiCalls, 0);
    });

    it('logout in one tab reaches every tab, and the server revoked the refresh token', async () => {
      await tabs[0].evaluate(login);
      await post('/auth/stats/reset');
      await tabs[1].evaluate(() => window.demo.broker.logout().then(() => true));
      for (const tab of tabs) assert.equal((await tab.evaluate(status)).loggedIn, false);
      for (let i = 0; i < 50 && (await stats()).revocations < 1; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal((await stats()).revocations, 1);
    });

    describe('faults that must not cost the session', () => {
      const NO_QUIRKS = { ignoreDpop: false, omitExpiresIn: false, jwtAccessTokens: false, jwtClockOffsetMs: 0, accessTokenSuffix: '', retryAfterSeconds: 0 };
      const quirks = (/** @type {Record<string, unknown>} */ set) => post('/auth/test/config', { quirks: { ...NO_QUIRKS, ...set } });
      after(async () => {
        await quirks({});
        await post('/auth/test/fault', { refresh: 'none' });
        await post('/auth/test/config', { refreshDelayMs: 50 });
      });

      it('a device clock an hour ahead of the server, only a JWT exp: 20 requests, no refresh', async () => {
        await quirks({ jwtAccessTokens: true, omitExpiresIn: true, jwtClockOffsetMs: -3_600_000 });
        await tabs[0].evaluate(login);
        await post('/auth/stats/reset');
        for (let i = 0; i < 4; i++) assert.deepEqual(await tabs[0].evaluate(fire, 5), Array(5).fill('ok'));
        const counted = await stats();
        assert.equal(counted.refreshes, 0);
        assert.equal(counted.api401, 0);
        await quirks({});
      });

      it('an access token with CR/LF: a typed error naming it, the rotated refresh token kept, no reuse after', async () => {
        await tabs[0].evaluate(login);
        await quirks({ accessTokenSuffix: '\r\n' });
        await post('/auth/test/expire-access-tokens');
        await post('/auth/stats/reset');
        assert.deepEqual(await tabs[0].evaluate(fire, 2), Array(2).fill('refresh-unavailable'));
        await quirks({});
        const current = await tabs[0].evaluate(status);
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, (current.refreshRetryAt ?? 0) - Date.now()) + 200));
        assert.deepEqual(await tabs[0].evaluate(fire, 2), Array(2).fill('ok'));
        const counted = await stats();
        assert.equal(counted.refreshes, 2);
        assert.equal(counted.reuseDetected, 0);
      });

      it('a login resets the cool-down of a failed refresh (Retry-After 60 s)', async () => {
        await tabs[0].evaluate(login);
        await quirks({ retryAfterSeconds: 60 });
        await post('/auth/test/fault', { refresh: '503' });
        await post('/auth/test/expire-access-tokens');
        assert.deepEqual(await tabs[0].evaluate(fire, 2), Array(2).fill('refresh-unavailable'));
        await post('/auth/test/fault', { refresh: 'none' });
        await tabs[0].evaluate(login);
        assert.equal((await tabs[0].evaluate(status)).refreshRetryAt, null);
        await post('/auth/test/expire-access-tokens');
        assert.deepEqual(await tabs[0].evaluate(fire, 2), Array(2).fill('ok'));
        await quirks({});
      });

      it('page script steals the refresh lock mid-refresh: one refresh, every request succeeds, no reuse', async () => {
        await tabs[0].evaluate(login);
        await post('/auth/test/config', { refreshDelayMs: 1500 });
        await post('/auth/test/expire-access-tokens');
        await post('/auth/stats/reset');
        // One script in one tab: WebDriver runs one script at a time, so the steal cannot wait in another tab's script.
        const results = await tabs[0].evaluate(async () => {
          const fire = (/** @type {number} */ n) => Promise.allSettled(Array.from({ length: n }, () => window.demo.api.get('/api/data')));
          const first = fire(5);
          const held = async () => ((await navigator.locks.query()).held ?? []).some((lock) => lock.name === 'sw-token-broker:demo');
          for (const deadline = Date.now() + 10_000; !(await held()); ) {
            if (Date.now() > deadline) throw new Error('the worker never held the refresh lock');
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
          await navigator.locks.request('sw-token-broker:demo', { steal: true }, () => new Promise((resolve) => setTimeout(resolve, 50)));
          // More 401s while the stolen refresh is still on the wire.
          const second = fire(5);
          return [...(await first), ...(await second)].map((result) => (result.status === 'fulfilled' ? 'ok' : /** @type {any} */ (result.reason).code));
        });
        assert.deepEqual(results, Array(10).fill('ok'));
        const counted = await stats();
        assert.equal(counted.refreshes, 1);
        assert.equal(counted.reuseDetected, 0);
        await post('/auth/test/config', { refreshDelayMs: 50 });
      });

      it('DPoP against a server that ignores it: the login is misconfigured, its tokens revoked', async () => {
        await dpop.evaluate(() => window.demo.broker.logout().then(() => true));
        await quirks({ ignoreDpop: true });
        await post('/auth/stats/reset');
        const refused = await dpop.evaluate(() => window.demo.broker.login({ username: 'demo', password: 'demo' }).then(() => 'logged in', (error) => error.code));
        assert.equal(refused, 'misconfigured');
        await until(async () => (await stats()).revocations === 1, 'the revocation');
        assert.equal((await dpop.evaluate(status)).loggedIn, false);
        await quirks({});
        await dpop.evaluate(login);
        assert.equal((await dpop.evaluate(status)).dpopBound, true);
      });
    });

    if (engineName === 'Firefox') {
      // Firefox runs with `dom.serviceWorkers.idle_timeout` at 1 s (drivers.mjs), so it stops
      // the idle worker itself. WebKit has no such setting or automation command.
      it('the browser stops the idle worker and starts it again: the session survives, one refresh for every tab', async () => {
        await tabs[0].evaluate(login);
        const before = (await tabs[0].evaluate(status)).workerStartedAt;
        await post('/auth/test/expire-access-tokens');
        await post('/auth/stats/reset');
        // The demo pages poll the worker every 500 ms, which keeps it awake: park them on a
        // quiet page in the scope (no script) for longer than the idle timeout, then come back.
        for (const tab of tabs) await tab.goto(`${base}/auth/config`);
        await new Promise((resolve) => setTimeout(resolve, 3000));
        for (const tab of tabs) await tab.goto(`${base}/`);
        for (const tab of tabs) await ready(tab);
        assert.notEqual((await tabs[0].evaluate(status)).workerStartedAt, before, 'a new worker instance answers');
        const results = await Promise.all(tabs.map((tab) => tab.evaluate(fire, 5)));
        assert.deepEqual(results.flat(), Array(15).fill('ok'));
        const counted = await stats();
        assert.equal(counted.refreshes, 1);
        assert.equal(counted.reuseDetected, 0);
      });
    }

    if (engineName === 'Firefox') {
      // Only Firefox stops an idle worker on its own here (WebKit has no setting or command
      // for it), and the database can only be changed while no worker has it open.
      it('a session write that fails after rotations keeps the session in memory: no reuse; then the store is mended', async () => {
        await tabs[0].evaluate(login);
        await post('/auth/stats/reset');
        const park = async () => {
          for (const tab of tabs) await tab.goto(`${base}/auth/config`);
          await new Promise((resolve) => setTimeout(resolve, 3000));
        };
        const back = async () => {
          for (const tab of tabs) await tab.goto(`${base}/`);
          for (const tab of tabs) await ready(tab);
        };
        // Every write throws (DataError): the store recreated with an in-line key path, holding the session.
        await park();
        await tabs[0].evaluate(async () => {
          const request = (/** @type {IDBRequest} */ r) => new Promise((resolve, reject) => ((r.onsuccess = () => resolve(r.result)), (r.onerror = () => reject(r.error))));
          const db = /** @type {IDBDatabase} */ (await request(indexedDB.open('sw-token-broker:demo')));
          const session = await request(db.transaction('kv').objectStore('kv').get('session'));
          const version = db.version;
          db.close();
          const upgrade = indexedDB.open('sw-token-broker:demo', version + 1);
          upgrade.onupgradeneeded = () => {
            upgrade.result.deleteObjectStore('kv');
            upgrade.result.createObjectStore('kv', { keyPath: 'storedUnder' }).put({ ...session, storedUnder: 'session' });
          };
          /** @type {IDBDatabase} */ (await request(upgrade)).close();
          return true;
        });
        await back();
        try {
          for (let round = 0; round < 2; round++) {
            await post('/auth/test/expire-access-tokens');
            assert.deepEqual(await tabs[0].evaluate(fire, 3), Array(3).fill('ok'));
          }
          const counted = await stats();
          assert.equal(counted.refreshes, 2);
          assert.equal(counted.reuseDetected, 0);
          assert.equal((await tabs[0].evaluate(status)).persisted, false);
        } finally {
          // Mend it for the tests after this one: no worker holds the database while it is deleted.
          await park();
          await tabs[0].evaluate(() => new Promise((resolve) => (indexedDB.deleteDatabase('sw-token-broker:demo').onsuccess = () => resolve(true))));
          await back();
        }
      });
    }

    describe('the PWA (/pwa/: Workbox precache and the broker in one worker)', () => {
      /** @type {Tab} */
      let pwa;
      const text = (/** @type {string} */ selector) => pwa.evaluate((css) => document.querySelector(css)?.textContent ?? '', selector);

      before(async () => {
        pwa = await engine.newTab(`${base}/pwa/`);
        await ready(pwa);
      });
      after(() => post('/auth/test/network', { down: false }));

      it('reloads offline from the precache, and the session is still there', async () => {
        await pwa.evaluate(login);
        await until(() => pwa.evaluate(async () => navigator.serviceWorker.controller !== null && (await caches.keys()).some((name) => name.includes('precache'))), 'the precache');
        // Automation here cannot switch these engines offline: the server drops every connection instead.
        await post('/auth/test/network', { down: true });
        try {
          assert.equal(await pwa.evaluate(() => fetch('/pwa/not-cached').then(() => 'reached', () => 'offline')), 'offline');
          await pwa.reload();
          await ready(pwa);
          assert.match(await text('h1'), /An installable PWA with the broker/);
          assert.equal((await pwa.evaluate(status)).loggedIn, true);
        } finally {
          await post('/auth/test/network', { down: false });
        }
        assert.deepEqual(await pwa.evaluate(fire, 2), ['ok', 'ok']);
      });

      it('an update (a new build with a changed precache manifest) activates without losing the session', async () => {
        await pwa.evaluate(login);
        assert.equal(await text('#app-version'), 'build 1');
        const { generation } = await pwa.evaluate(status);
        await post('/auth/stats/reset');
        await post('/auth/test/config', { pwaVersion: '2' });
        try {
          await pwa.evaluate(async () => {
            const changed = new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
            await (await navigator.serviceWorker.getRegistration('/pwa/'))?.update();
            await changed;
            return true;
          });
          await pwa.reload();
          await ready(pwa);
          assert.equal(await text('#app-version'), 'build 2');
          const current = await pwa.evaluate(status);
          assert.equal(current.loggedIn, true);
          assert.equal(current.generation, generation);
          assert.deepEqual(await pwa.evaluate(fire, 2), ['ok', 'ok']);
          const counted = await stats();
          assert.equal(counted.logins, 0);
          assert.equal(counted.reuseDetected, 0);
        } finally {
          await post('/auth/test/config', { pwaVersion: '1' });
        }
      });
    });

    // This browser also ran the other demos, so the app's origin has their workers and sessions;
    // Chromium's vault.spec.ts scans a clean app origin (IndexedDB, caches, messages, heap).
    describe('vault mode (/vault/: the session on the vault origin, the demo server\'s second port)', () => {
      /** @type {Tab[]} */
      const vaultTabs = [];

      before(async () => {
        for (let i = 0; i < 2; i++) vaultTabs.push(await engine.newTab(`${base}/vault/`));
        for (const tab of vaultTabs) await ready(tab);
      });

      it('the vault frame registers its worker in this engine; two tabs share one refresh after expiry', async () => {
        // Record everything the app's pages receive from the vault: window messages and port messages.
        for (const tab of vaultTabs) {
          await tab.evaluate(recordWhatTheVaultSends);
        }
        await vaultTabs[0].evaluate(login);
        for (const tab of vaultTabs) assert.equal((await tab.evaluate(status)).loggedIn, true);
        await post('/auth/test/expire-access-tokens');
        await post('/auth/stats/reset');
        const results = await Promise.all(vaultTabs.map((tab) => tab.evaluate(fire, 5)));
        assert.deepEqual(results.flat(), Array(10).fill('ok'));
        const counted = await stats();
        assert.equal(counted.refreshes, 1);
        assert.equal(counted.reuseDetected, 0);
      });

      it("no token in the app origin's storages, IndexedDB, caches, cookies or what the vault sent it; the vault's database is out of its reach", async () => {
        const held = await vaultTabs[0].evaluate(async () => {
          const out = /** @type {unknown[]} */ ([{ ...localStorage }, { ...sessionStorage }, document.cookie, await caches.keys()]);
          // The vault's database name, opened from the app's origin: another origin's storage, so an empty new one.
          const name = 'sw-token-broker:demo-vault';
          const stores = await new Promise((resolve, reject) => {
            const open = indexedDB.open(name);
            open.onsuccess = () => {
              const count = open.result.objectStoreNames.length;
              open.result.close();
              indexedDB.deleteDatabase(name);
              resolve(count);
            };
            open.onerror = () => reject(open.error);
          });
          out.push({ storesInTheAppOriginsCopy: stores });
          return JSON.stringify(out);
        });
        for (const prefix of ['rt_', 'at_']) assert.equal(held.includes(prefix), false, held);
        // Nor in anything the vault sent the app's pages (the mock server's tokens start with rt_ and at_).
        for (const tab of vaultTabs) {
          const seen = await tab.evaluate(() => JSON.stringify(/** @type {any} */ (window).__received));
          assert.match(seen, /user.{1,12}demo/, 'the recorder saw API responses');
          for (const prefix of ['rt_', 'at_']) assert.equal(seen.includes(prefix), false, seen);
        }
        assert.match(held, /"storesInTheAppOriginsCopy":0/);
        // The vault page registered no worker in the app's origin (the other demo pages of this browser did): the one that holds the tokens is the vault's.
        const scopes = await vaultTabs[0].evaluate(() => navigator.serviceWorker.getRegistrations().then((all) => all.map((registration) => new URL(registration.scope).pathname)));
        assert.equal(scopes.some((scope) => scope.startsWith('/vault')), false, scopes.join(' '));
      });
    });

    // On a server of its own, so the app's origin holds nothing from the other demos this browser ran.
    describe('the attacker suite against /vault/ (script injected into the app page, the vault connected and logged in)', () => {
      /** @type {Awaited<ReturnType<typeof startServer>>} */
      let app;
      /** @type {Tab} */
      let tab;

      /** The vault's session, read by the harness inside the vault frame (where the page's script cannot go). */
      const vaultSecrets = async () => {
        const session = await tab.evaluateInFrame(readVaultSession);
        assert.match(session?.refreshToken ?? '', /^rt_/, `the vault's database holds the session: ${JSON.stringify(session)}`);
        return [session.refreshToken, session.accessToken, 'rt_', 'at_'];
      };

      before(async () => {
        app = await startServer({ REFRESH_DELAY_MS: '50' });
        tab = await engine.newTab(`${app.base}/vault/`);
        await ready(tab);
        await tab.evaluate(recordWhatTheVaultSends);
        await tab.evaluate(login);
      });
      after(() => app?.server.kill());

      // Browser reality: is the framed vault's storage the one the vault's own pages have?
      // Chromium and Firefox key a same-site frame's storage by site: yes. WebKit keys it by
      // the top-level origin: the vault framed by the app has a storage of its own.
      it(`the framed vault's storage, seen from a top-level page of the vault: ${engineName === 'WebKit' ? 'another (WebKit partitions by the top-level origin)' : 'the same (same site)'}`, async () => {
        const framed = await tab.evaluateInFrame(readVaultSession);
        assert.match(framed?.refreshToken ?? '', /^rt_/);
        const topLevel = await engine.newTab(`${app.vaultBase}/vault-frame/`);
        const seen = await topLevel.evaluate(readVaultSession);
        if (engineName === 'WebKit') assert.deepEqual(seen, { stores: [] });
        else assert.equal(seen?.refreshToken, framed.refreshToken);
      });

      it('a vault that does not answer (a wrong URL, a blocked frame): vault-unavailable, never a fallback to the app\'s origin', async () => {
        const page = await engine.newTab(`${app.base}/vault/?vault=${encodeURIComponent(`${app.base}/not-a-vault/`)}`);
        await until(() => page.evaluate(() => document.body.dataset.ready === 'error'), 'the typed error');
        assert.equal(await page.evaluate(() => document.body.dataset.error), 'vault-unavailable');
        const scopes = await page.evaluate(() => navigator.serviceWorker.getRegistrations().then((all) => all.length));
        assert.equal(scopes, 0);
      });

      // Browser reality: a cross-site vault (localhost beside 127.0.0.1). Chromium refuses its
      // frame a worker (vault.spec.ts); Firefox and WebKit give it one, in a partition of its own.
      it('a cross-site vault (localhost beside 127.0.0.1): its frame gets a worker, in storage partitioned from the vault\'s own pages', async () => {
        const crossSite = `http://localhost:${new URL(app.vaultBase).port}`;
        const page = await engine.newTab(`${app.base}/vault/?vault=${encodeURIComponent(`${crossSite}/vault-frame/`)}`);
        await ready(page);
        assert.equal((await page.evaluate(login)), true);
        const framed = await page.evaluateInFrame(readVaultSession);
        assert.match(framed?.refreshToken ?? '', /^rt_/, JSON.stringify(framed));
        const topLevel = await engine.newTab(`${crossSite}/vault-frame/`);
        assert.deepEqual(await topLevel.evaluate(readVaultSession), { stores: [] });
      });

      for (const attack of vaultAttacks) {
        it(attack.title, async () => {
          await app.post('/auth/test/echoes/reset');
          await tab.evaluate(installAttackerTools);
          const result = await tab.evaluate(attack.run, { appOrigin: app.base, vaultOrigin: app.vaultBase, vaultUrl: `${app.vaultBase}/vault-frame/` });
          const secrets = await vaultSecrets();
          await attack.check(result, { engine: engineName, secrets, tab, echoes: async () => (await fetch(`${app.base}/auth/test/echoes`)).json() });
          // Whatever it did, the app's origin holds neither token afterwards, nor did the attack get one.
          const seen = JSON.stringify(result) + (await tab.evaluate(everythingTheAppOriginHolds));
          for (const secret of secrets) assert.equal(seen.includes(secret), false, `${secret.slice(0, 6)}… found`);
        });
      }
    });

    describe('the OpenID redirect login (the embedded oidc-provider: PKCE, rotation with reuse detection)', () => {
      /** @type {Awaited<ReturnType<typeof startServer>>} */
      let provider;
      /** @type {Tab[]} */
      const oidcTabs = [];

      before(async () => {
        provider = await startServer({ IDP: 'oidc', REFRESH_DELAY_MS: '0' });
        // New windows are slow in WebKit: open both tabs before logging in.
        for (let i = 0; i < 2; i++) oidcTabs.push(await engine.newTab(`${provider.base}/`));
        for (const tab of oidcTabs) await ready(tab);
      });
      after(() => provider?.server.kill());

      it("logs in through the provider's pages; the worker exchanges the code; the tabs share one refresh after expiry", async () => {
        const [tab, other] = oidcTabs;
        assert.equal(await tab.evaluate(() => document.querySelector('#login')?.textContent), 'Log in with the identity provider');
        await provider.post('/auth/test/config', { accessTtlSeconds: 3 });
        // Navigations start from a timer, so the script that starts them returns first.
        await loginThroughProvider(tab, provider.base, '/');
        const url = await tab.url();
        assert.equal(new URL(url).search, '', 'no code or state left in the address');
        assert.equal((await tab.evaluate(status)).loggedIn, true);
        assert.equal((await other.evaluate(status)).loggedIn, true);
        assert.deepEqual(await tab.evaluate(fire, 3), ['ok', 'ok', 'ok']);
        assert.equal((await provider.stats()).logins, 1);

        await new Promise((resolve) => setTimeout(resolve, 3300));
        // The refreshed token lives 30 s: on a loaded machine the storm can outlast a 3-second token.
        await provider.post('/auth/test/config', { accessTtlSeconds: 30 });
        await provider.post('/auth/stats/reset');
        const results = await Promise.all(oidcTabs.map((each) => each.evaluate(fire, 5)));
        const counted = await provider.stats();
        assert.deepEqual(results.flat(), Array(10).fill('ok'), JSON.stringify(counted));
        assert.equal(counted.refreshes, 1);
        assert.equal(counted.refreshesRejected, 0);
        assert.equal(counted.reuseDetected, 0);
      });

      it('rule 14: a parameter a page may not set rejects with forbidden-parameter, and the page does not navigate', async () => {
        const [tab] = oidcTabs;
        const before = await tab.url();
        const codes = await tab.evaluate(async () => {
          /** @type {Array<Record<string, string>>} */
          const asked = [{ client_id: 'evil' }, { redirect_uri: 'https://evil.example/cb' }, { scope: 'openid admin' }, { organization: 'org_1' }];
          const out = [];
          for (const authorizationParams of asked) out.push(await window.demo.broker.loginWithRedirect({ authorizationParams }).then(() => 'navigated', (/** @type {any} */ error) => error.code));
          return out;
        });
        assert.deepEqual(codes, ['forbidden-parameter', 'forbidden-parameter', 'forbidden-parameter', 'forbidden-parameter']);
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal(await tab.url(), before);
      });

      it('step-up (RFC 9470): an API asking for a more recent login gets StepUpRequiredError with its max_age, and no refresh', async () => {
        const [tab] = oidcTabs;
        assert.equal((await tab.evaluate(status)).loggedIn, true, 'logged in by the test before');
        await provider.post('/auth/test/config', { stepUpMaxAgeSeconds: 0 });
        await new Promise((resolve) => setTimeout(resolve, 1100));
        await provider.post('/auth/stats/reset');
        const refused = await tab.evaluate(() =>
          window.demo.api.get('/api/recent-login').then(
            () => null,
            (/** @type {any} */ error) => ({ name: error.name, code: error.code, maxAge: error.details?.maxAge }),
          ),
        );
        await provider.post('/auth/test/config', { stepUpMaxAgeSeconds: 60 });
        assert.deepEqual(refused, { name: 'StepUpRequiredError', code: 'step-up-required', maxAge: 0 });
        const counted = await provider.stats();
        assert.equal(counted.refreshes, 0);
        assert.equal(counted.apiCalls, 1);
      });

      it('logout revokes the refresh token at the provider and reaches the other tab', async () => {
        const [tab, other] = oidcTabs;
        assert.equal((await tab.evaluate(status)).loggedIn, true, 'logged in by the test before');
        await provider.post('/auth/stats/reset');
        await other.evaluate(() => window.demo.broker.logout().then(() => true));
        assert.equal((await tab.evaluate(status)).loggedIn, false);
        await until(async () => (await provider.stats()).revocations === 1, 'the revocation at the provider');
      });

      it("login by redirect through the vault: the provider calls back to the vault's origin; two tabs share one refresh; logout revokes", async () => {
        const [tab, other] = [await engine.newTab(`${provider.base}/vault/`), await engine.newTab(`${provider.base}/vault/`)];
        for (const each of [tab, other]) await ready(each);
        await provider.post('/auth/test/config', { accessTtlSeconds: 3 });
        await provider.post('/auth/stats/reset');
        // Chromium and Firefox: the vault's worker answers its callback. WebKit: the vault's page
        // gets it (the worker is the frame's, keyed by the app's origin) and sends it through the app.
        await loginThroughProvider(tab, provider.base, '/vault/');
        await until(() => tab.evaluate(() => document.querySelector('#log')?.textContent?.includes('Logged in through the identity provider (in the vault)')), 'the login result');
        const url = new URL(await tab.url());
        assert.equal(url.search + url.hash, '', 'no code, state or result left in the address');
        for (const each of [tab, other]) assert.equal((await each.evaluate(status)).loggedIn, true);
        assert.equal((await provider.stats()).logins, 1);

        await new Promise((resolve) => setTimeout(resolve, 3300));
        // The refreshed token lives 30 s: on a loaded machine the storm can outlast a 3-second token.
        await provider.post('/auth/test/config', { accessTtlSeconds: 30 });
        await provider.post('/auth/stats/reset');
        const results = await Promise.all([tab, other].map((each) => each.evaluate(fire, 5)));
        const counted = await provider.stats();
        assert.deepEqual(results.flat(), Array(10).fill('ok'), JSON.stringify(counted));
        assert.equal(counted.refreshes, 1);
        assert.equal(counted.reuseDetected, 0);

        await other.evaluate(() => window.demo.broker.logout().then(() => true));
        assert.equal((await tab.evaluate(status)).loggedIn, false);
        await until(async () => (await provider.stats()).revocations === 1, 'the revocation at the provider');
      });
    });
  });
}
