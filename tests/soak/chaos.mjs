// @ts-check
/**
 * The chaos soak (issue 37): tabs of the offline demo (handoff, offline queue, 2 s tokens,
 * JWT access tokens) read and write while the run opens and closes tabs, drops the network,
 * stops the worker, makes the token endpoint fail, expires tokens, logs in another user and
 * clears the site's IndexedDB. It then checks the invariants:
 *
 * - the server never detected refresh-token reuse;
 * - no request was answered for another user than the one logged in when it was made;
 * - every write arrived at most once, and every write that was answered 2xx or queued (202)
 *   arrived exactly once or was reported dropped;
 * - every request ended (2xx, 202-queued, an HTTP error or a typed error) within a bound;
 * - the session ended only where the run caused it (site data cleared).
 *
 * Used by `npm run soak` (long) and by tests/e2e/soak.spec.ts (a short, bounded run).
 */
import { stopWorkers } from '../../scripts/service-workers.mjs';

/** @typedef {import('playwright-core').Page} Page */
/** @typedef {{ status?: number, user?: string | null, queued?: string | null, code?: string | null, untyped?: boolean, hung?: boolean, tabClosed?: boolean }} Outcome */
/** @typedef {{ kind: 'read' | 'write', text: string, madeAt: number, outcome: Outcome | null }} SoakRequest */
/** @typedef {{ event: string, id: string | null, dropReason: string | null, endedBy: string | null }} SoakEvent */
/** @typedef {{ text: string, user: string, madeAt: number | null }} Note */
/** @typedef {{ user: string, at: number }} Login */

/** A request that has not ended after this long counts as hung. */
const REQUEST_BOUND_MS = 60_000;
/** Logins this close to when a request was made leave its session ambiguous (the tab may not have heard yet). */
const AMBIGUOUS_BEFORE_MS = 1_500;
const AMBIGUOUS_AFTER_MS = 100;

/** A small seeded generator, so a failing run can be repeated with its seed. @param {number} seed */
function random(seed) {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

/**
 * Runs in the page: one request through the demo's axios instance, and how it ended.
 * @param {{ kind: 'read' | 'write', text: string, madeAt: number }} request
 * @returns {Promise<Outcome>}
 */
async function callInPage({ kind, text, madeAt }) {
  const { demo } = /** @type {any} */ (window);
  try {
    const response = kind === 'read' ? await demo.api.get('/api/data') : await demo.api.post('/api/notes', { text, madeAt });
    return { status: response.status, user: response.data?.user ?? response.data?.note?.user ?? null, queued: response.headers['x-sw-token-broker-queued'] ?? null };
  } catch (caught) {
    const error = /** @type {any} */ (caught);
    if (error?.response) return { status: error.response.status, code: error.response.headers?.['x-sw-token-broker-error'] ?? null };
    // A typed broker error (it has a code the broker defines) or axios's network error (the API unreachable).
    const code = typeof error?.code === 'string' ? error.code : null;
    return { status: 0, code, untyped: code === null };
  }
}

/** Runs in the page: records broker events for the run to read. */
function recordInPage() {
  const page = /** @type {any} */ (window);
  /** @type {SoakEvent[]} */
  const seen = [];
  page.__soakEvents = seen;
  for (const type of ['queued', 'requeued', 'replayed', 'dropped', 'session-ended', 'logged-out', 'login']) {
    page.demo.broker.on(type, (/** @type {any} */ event) => seen.push({ event: type, id: event.request?.id ?? null, dropReason: event.request?.dropReason ?? null, endedBy: event.details?.endedBy ?? null }));
  }
}

/**
 * @param {{ context: import('playwright-core').BrowserContext, baseURL: string, seconds: number, tabs?: number, seed?: number, log?: (line: string) => void }} options
 */
export async function runChaos({ context, baseURL, seconds, tabs: tabCount = 4, seed = 37, log = () => {} }) {
  const rand = random(seed);
  /** @type {<T>(items: T[]) => T} */
  const pick = (items) => items[Math.floor(rand() * items.length)];
  /** @param {string} path @param {unknown} [data] */
  const post = async (path, data) => {
    const response = await fetch(`${baseURL}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data ?? {}) });
    if (!response.ok) throw new Error(`${path} answered ${response.status}`);
    return response.json();
  };
  /** @param {string} path */
  const get = async (path) => (await fetch(`${baseURL}${path}`)).json();

  await post('/auth/test/fault', { refresh: 'none' });
  await post('/auth/test/network', { down: false });
  await post('/auth/test/config', { accessTtlSeconds: 2, refreshDelayMs: 50, quirks: { jwtAccessTokens: true } });
  await post('/auth/stats/reset');

  /** @type {SoakRequest[]} Every request the run made: what, when, how it ended. */
  const requests = [];
  /** @type {SoakEvent[]} Events read from the tabs. */
  const events = [];
  /** @type {Record<string, number>} */
  const actions = {};
  /** @param {string} name */
  const count = (name) => (actions[name] = (actions[name] ?? 0) + 1);
  let user = 'demo';
  let serial = 0;

  const open = async () => {
    const page = await context.newPage();
    await page.goto(`${baseURL}/offline/`);
    await page.waitForFunction(() => document.body.dataset.ready === 'true' || document.body.dataset.ready === 'error');
    await page.evaluate(recordInPage);
    return page;
  };
  /** @param {Page} page */
  const collect = async (page) => {
    try {
      events.push(...(await page.evaluate(() => /** @type {SoakEvent[]} */ (/** @type {any} */ (window).__soakEvents.splice(0)))));
    } catch {
      // A page that is gone has nothing left to give; its events reached the other tabs too.
    }
  };
  /** @param {Page} page @param {string} name */
  const login = async (page, name) => page.evaluate((who) => /** @type {any} */ (window).demo.broker.login({ username: who, password: who }), name);

  /** @type {Page[]} */
  const tabs = [];
  for (let i = 0; i < tabCount; i++) tabs.push(await open());
  await login(tabs[0], user);

  /** One request in a tab, bounded; a tab closed under it ends it as `tab-closed`. */
  /** @param {Page} page */
  const request = (page) => {
    /** @type {SoakRequest} */
    const entry = { kind: rand() < 0.5 ? 'write' : 'read', text: `w${++serial}`, madeAt: Date.now(), outcome: null };
    requests.push(entry);
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    /** @type {Promise<Outcome>} */
    const bound = new Promise((resolve) => (timer = setTimeout(() => resolve({ hung: true }), REQUEST_BOUND_MS)));
    /** @type {Promise<Outcome>} */
    const done = page.evaluate(callInPage, { kind: entry.kind, text: entry.text, madeAt: entry.madeAt }).catch(() => ({ tabClosed: true }));
    return Promise.race([done, bound]).then((outcome) => {
      clearTimeout(timer);
      entry.outcome = outcome;
    });
  };

  /** @type {Record<string, () => Promise<unknown>>} */
  const chaos = {
    'network down': async () => {
      await post('/auth/test/network', { down: true });
      await new Promise((resolve) => setTimeout(resolve, 500 + rand() * 1500));
      await post('/auth/test/network', { down: false });
      for (const page of tabs) await page.evaluate(() => void window.dispatchEvent(new Event('online'))).catch(() => undefined);
    },
    'token endpoint 503': async () => {
      await post('/auth/test/fault', { refresh: '503' });
      await new Promise((resolve) => setTimeout(resolve, 1000 + rand() * 1500));
      await post('/auth/test/fault', { refresh: 'none' });
    },
    'worker stopped': async () => stopWorkers(tabs[0]).catch(() => undefined),
    'tab closed and opened': async () => {
      const index = Math.floor(rand() * tabs.length);
      const [closing] = tabs.splice(index, 1);
      await collect(closing);
      await closing.close();
      tabs.push(await open());
    },
    'another user logs in': async () => {
      user = user === 'demo' ? 'alice' : 'demo';
      await login(pick(tabs), user).catch(() => undefined);
    },
    'tokens expired at the server': async () => post('/auth/test/expire-access-tokens'),
    'site data cleared': async () => {
      const cdp = await context.newCDPSession(tabs[0]);
      await cdp.send('Storage.clearDataForOrigin', { origin: baseURL, storageTypes: 'indexeddb' });
      await cdp.detach();
      await new Promise((resolve) => setTimeout(resolve, 500));
      await login(pick(tabs), user).catch(() => undefined);
    },
  };
  const names = Object.keys(chaos);

  const stopAt = Date.now() + seconds * 1000;
  /** @type {Set<Promise<void>>} */
  const inFlight = new Set();
  let nextChaos = Date.now() + 1500;
  while (Date.now() < stopAt) {
    for (const page of [...tabs]) {
      const pending = request(page);
      inFlight.add(pending);
      void pending.finally(() => inFlight.delete(pending));
    }
    if (Date.now() >= nextChaos) {
      // Site data cleared is rarer than the rest: it costs a login.
      const name = rand() < 0.08 ? 'site data cleared' : pick(names.filter((n) => n !== 'site data cleared'));
      count(name);
      log(`chaos: ${name}`);
      await chaos[name]();
      nextChaos = Date.now() + 1000 + rand() * 2000;
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }

  // Calm: the network and the token endpoint back, every request ended, the queue drained.
  await post('/auth/test/network', { down: false });
  await post('/auth/test/fault', { refresh: 'none' });
  await Promise.all(inFlight);
  const status = await tabs[0].evaluate(() => /** @type {any} */ (window).demo.broker.status());
  if (!status.loggedIn) await login(tabs[0], user);
  let pending = -1;
  for (let attempt = 0; attempt < 30 && pending !== 0; attempt++) {
    pending = (await tabs[0].evaluate(() => /** @type {any} */ (window).demo.broker.replayQueue())).pending;
    if (pending) await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  await new Promise((resolve) => setTimeout(resolve, 500)); // the last events reach every tab
  for (const page of tabs) await collect(page);

  const stats = await get('/auth/stats');
  const notes = (await get('/auth/demo/notes')).notes;
  const logins = await get('/auth/test/logins');
  for (const page of tabs) await page.close();

  return judge({ requests, events, stats, notes, logins, pending, actions, seed, seconds });
}

/**
 * The invariants, from what the run saw and what the server received.
 * @param {{ requests: SoakRequest[], events: SoakEvent[], stats: Record<string, number>, notes: Note[], logins: Login[], pending: number, actions: Record<string, number>, seed: number, seconds: number }} run
 */
export function judge({ requests, events: seenInTabs, stats, notes, logins, pending, actions, seed, seconds }) {
  const violations = [];
  // Every tab hears every queue event: count each once.
  const unique = new Map(seenInTabs.map((e) => [e.id ? `${e.event}:${e.id}:${e.dropReason}` : JSON.stringify(e), e]));
  const events = [...unique.values()];
  /** @param {number} madeAt @returns {string | undefined} */
  const expectedUser = (madeAt) => {
    if (logins.some((login) => login.at >= madeAt - AMBIGUOUS_BEFORE_MS && login.at <= madeAt + AMBIGUOUS_AFTER_MS)) return undefined;
    return logins.filter((login) => login.at < madeAt).at(-1)?.user;
  };

  if (stats.reuseDetected !== 0) violations.push(`the server detected refresh-token reuse ${stats.reuseDetected} times`);

  // No request answered for another user than the one logged in when it was made.
  const answeredAs = [
    ...requests.filter((r) => r.kind === 'read' && r.outcome?.status === 200).map((r) => ({ what: `read at ${r.madeAt}`, madeAt: r.madeAt, user: r.outcome?.user })),
    ...notes.flatMap((note) => (typeof note.madeAt === 'number' ? [{ what: `note ${note.text}`, madeAt: note.madeAt, user: note.user }] : [])),
  ];
  let wrongUser = 0;
  for (const answer of answeredAs) {
    const expected = expectedUser(answer.madeAt);
    if (expected !== undefined && answer.user !== expected) {
      wrongUser++;
      if (wrongUser <= 5) violations.push(`${answer.what} was answered for ${answer.user}, made while ${expected} was logged in`);
    }
  }

  // At most once each; exactly once (or reported dropped) when it was answered 2xx or queued.
  /** @type {Map<string, number>} */
  const arrived = new Map();
  for (const note of notes) arrived.set(note.text, (arrived.get(note.text) ?? 0) + 1);
  for (const [text, times] of arrived) if (times > 1) violations.push(`write ${text} arrived ${times} times`);
  const dropped = new Set(events.filter((e) => e.event === 'dropped' && e.id).map((e) => e.id));
  const writes = requests.filter((r) => r.kind === 'write');
  for (const write of writes) {
    const { outcome } = write;
    const times = arrived.get(write.text) ?? 0;
    const status = outcome?.status ?? 0;
    if (status >= 200 && status < 300 && status !== 202 && times !== 1) violations.push(`write ${write.text} was answered ${status} but arrived ${times} times`);
    if (status === 202 && times !== 1 && !dropped.has(outcome?.queued ?? null)) violations.push(`write ${write.text} was queued (${outcome?.queued}) but neither arrived nor was reported dropped`);
  }

  const hung = requests.filter((r) => r.outcome?.hung).length;
  if (hung) violations.push(`${hung} requests did not end within ${REQUEST_BOUND_MS} ms`);
  const untyped = requests.filter((r) => r.outcome?.untyped).length;
  if (untyped) violations.push(`${untyped} requests failed with an error that is neither an HTTP answer nor a typed one`);
  const lost = events.filter((e) => (e.event === 'session-ended' && e.endedBy !== 'storage-cleared') || e.event === 'logged-out');
  if (lost.length) violations.push(`the session ended ${lost.length} times without the run causing it (${[...new Set(lost.map((e) => e.event))].join(', ')})`);
  if (pending !== 0) violations.push(`${pending} queued writes still waited after the calm`);

  /** @param {(outcome: Outcome) => boolean} predicate */
  const ended = (predicate) => requests.filter((r) => r.outcome && predicate(r.outcome)).length;
  return {
    seed,
    seconds,
    requests: requests.length,
    writes: writes.length,
    answered2xx: ended((o) => (o.status ?? 0) >= 200 && (o.status ?? 0) < 300 && o.status !== 202),
    queued: ended((o) => o.status === 202),
    httpErrors: ended((o) => (o.status ?? 0) >= 300),
    typedErrors: ended((o) => o.status === 0 && !o.untyped),
    tabClosed: ended((o) => o.tabClosed === true),
    notes: notes.length,
    replayed: events.filter((e) => e.event === 'replayed').length,
    droppedByReason: Object.fromEntries([...new Set(events.filter((e) => e.event === 'dropped').map((e) => e.dropReason))].map((reason) => [reason, events.filter((e) => e.event === 'dropped' && e.dropReason === reason).length])),
    refreshes: stats.refreshes,
    reuseDetected: stats.reuseDetected,
    writesDeduplicated: stats.writesDeduplicated,
    actions,
    violations,
  };
}
