// @ts-check
/**
 * Overhead per request, measured against floors in the same run: every mode in every round,
 * in blocks of a fresh random order (ABCD ABCD ...), so machine noise and order hit all
 * modes alike. Handoff mode and its floor (plain axios) share one quiet page and are timed
 * request by request in turn: their difference is a few percent, less than the machine
 * drifts between two blocks.
 * Ratios are computed round by round (a mode's p50 over its floor's p50 in the same round).
 */
import { API_OF, PAGES, loginIn, median, openTab, percentile, post, REFRESH_DELAY_MS, round, shuffled } from './shared.mjs';

/** Each mode and the floor it is compared with: what the same request costs without the broker. */
export const MODES = /** @type {const} */ ([
  { mode: 'plain', floor: null, what: 'plain axios, fixed token' },
  { mode: 'passthrough', floor: 'plain', what: 'worker adding a fixed header' },
  { mode: 'handoff', floor: 'plain', what: 'broker, handoff' },
  // Handoff with DPoP: one more round trip to the worker per request, for the proof it signs.
  { mode: 'handoff-dpop', floor: 'handoff', what: 'broker, handoff + DPoP proof per request' },
  { mode: 'sealed', floor: 'passthrough', what: 'broker, sealed' },
  // Vault mode: the page -> vault frame -> vault worker relay on top of a sealed worker.
  { mode: 'vault', floor: 'sealed', what: 'vault relay' },
]);
/** A ratio whose round-by-round range is wider than this is reported as not to be trusted. */
export const TRUSTED_RATIO_RANGE = 0.1;

/** @param {'plain' | 'passthrough' | 'handoff' | 'handoff-dpop' | 'sealed' | 'vault'} mode */
const implOf = (mode) => (mode === 'handoff' ? 'bench-broker' : mode);

/** Modes timed in turns with their floor in the floor's page (`mode` -> floor): one unit of a block. */
const IN_TURNS = /** @type {const} */ ({ handoff: 'plain' });

/**
 * @param {import('playwright-core').Browser} browser
 * @param {{ rounds: number, requests: number, inFlight: number }} settings
 */
export async function measureOverhead(browser, { rounds, requests, inFlight }) {
  await post('/auth/test/config', { accessTtlSeconds: 600, refreshDelayMs: REFRESH_DELAY_MS });
  // One context and page per mode for the whole measurement: logged in once, warm.
  const contexts = [];
  /** @type {Record<string, import('playwright-core').Page>} */
  const pages = {};
  try {
    for (const { mode } of MODES) {
      if (Object.values(IN_TURNS).includes(/** @type {any} */ (mode))) continue;
      const context = await browser.newContext();
      contexts.push(context);
      pages[mode] = await openTab(context, PAGES[implOf(mode)]);
      await loginIn(pages[mode], implOf(mode));
    }
    // The floor of a mode timed in turns is the same page (logged in for both by loginIn).
    for (const [mode, floor] of Object.entries(IN_TURNS)) pages[floor] = pages[mode];
    /** What a block runs: a mode alone, or a mode and its floor in turns. */
    const units = MODES.map(({ mode }) => mode).filter((mode) => !Object.values(IN_TURNS).includes(/** @type {any} */ (mode)));
    /** @type {Record<string, Array<{ p50: number, p95: number, p99: number, rps: number }>>} */
    const byMode = Object.fromEntries(MODES.map(({ mode }) => [mode, []]));
    const orders = [];
    for (let r = 0; r < rounds; r++) {
      // Within a round the modes also alternate in blocks (ABCD ABCD ...), so a slow stretch
      // of the machine falls on every mode of the round, not on one.
      /** @type {Record<string, number[]>} */
      const times = Object.fromEntries(MODES.map(({ mode }) => [mode, []]));
      for (let block = 0; block < BLOCKS; block++) {
        const order = shuffled(units);
        orders.push(order.map((mode) => (mode in IN_TURNS ? `${mode}+${IN_TURNS[/** @type {keyof typeof IN_TURNS} */ (mode)]}` : mode)).join(' '));
        for (const mode of order) {
          const floor = IN_TURNS[/** @type {keyof typeof IN_TURNS} */ (mode)];
          const modes = floor ? [mode, floor] : [mode];
          const timed = await timeSequential(pages[mode], modes.map((each) => implOf(/** @type {any} */ (each))), Math.ceil(requests / BLOCKS));
          modes.forEach((each, i) => times[each].push(...timed[i]));
        }
      }
      for (const mode of shuffled(MODES.map(({ mode }) => mode))) {
        const rps = await throughput(pages[mode], implOf(mode), requests, inFlight);
        byMode[mode].push({ p50: percentile(times[mode], 50), p95: percentile(times[mode], 95), p99: percentile(times[mode], 99), rps });
      }
    }
    const rows = MODES.map(({ mode, floor, what }) => {
      const runs = byMode[mode];
      const p50s = runs.map((run) => run.p50);
      const ratios = floor ? runs.map((run, i) => run.p50 / byMode[floor][i].p50) : undefined;
      return {
        mode,
        what,
        floor,
        p50Ms: round(median(p50s)),
        p95Ms: round(median(runs.map((run) => run.p95))),
        p99Ms: round(median(runs.map((run) => run.p99))),
        rps: Math.round(median(runs.map((run) => run.rps))),
        requests: rounds * requests,
        spread: [round(Math.min(...p50s)), round(Math.max(...p50s))],
        ratioToFloor: ratios ? round(median(ratios), 3) : null,
        ratioSpread: ratios ? [round(Math.min(...ratios), 3), round(Math.max(...ratios), 3)] : null,
        ratioTrusted: ratios ? Math.max(...ratios) - Math.min(...ratios) <= TRUSTED_RATIO_RANGE : null,
        rounds: runs.map((run) => ({ p50Ms: round(run.p50), p95Ms: round(run.p95), rps: Math.round(run.rps) })),
      };
    });
    const roundTrip = await measureRoundTrips(pages.handoff, Math.max(200, requests));
    // Every page timed with the fine clock (server/static.ts), or the ratios move in 4 % steps.
    const isolated = await Promise.all(Object.values(pages).map((page) => page.evaluate(() => crossOriginIsolated)));
    return { overhead: rows, roundTrip, orders, crossOriginIsolated: isolated.every(Boolean) };
  } finally {
    for (const context of contexts) await context.close();
  }
}

/**
 * Blocks per round: each mode runs `requests / BLOCKS` sequential requests per block. Short
 * blocks (20 requests) keep a slow stretch of the machine within a block of every mode: with 4
 * blocks of 100 the handoff/plain ratio moved 0.93-1.15 between rounds, with 20 blocks 1.01-1.08.
 */
const BLOCKS = 20;

/**
 * `count` sequential requests per implementation after a short warm-up, the implementations
 * in turns (a, b, a, b, ... starting with a random one); each request's time in ms, per
 * implementation.
 * @param {import('playwright-core').Page} page @param {string[]} impls @param {number} count @returns {Promise<number[][]>}
 */
function timeSequential(page, impls, count) {
  return page.evaluate(
    async ({ impls, count, apiOf }) => {
      const apis = impls.map((impl) => (0, eval)(apiOf)(impl));
      for (let i = 0; i < 5; i++) for (const api of apis) await api.get('/api/data');
      const times = apis.map(() => /** @type {number[]} */ ([]));
      const first = Math.floor(Math.random() * apis.length);
      for (let i = 0; i < count; i++) {
        for (let k = 0; k < apis.length; k++) {
          const which = (first + k) % apis.length;
          const start = performance.now();
          await apis[which].get('/api/data');
          times[which].push(performance.now() - start);
        }
      }
      return times;
    },
    { impls, count, apiOf: API_OF },
  );
}

/**
 * Requests per second with `inFlight` at once, over `count` requests.
 * @param {import('playwright-core').Page} page @param {string} impl @param {number} count @param {number} inFlight @returns {Promise<number>}
 */
function throughput(page, impl, count, inFlight) {
  return page.evaluate(
    async ({ impl, count, inFlight, apiOf }) => {
      const api = (0, eval)(apiOf)(impl);
      let next = 0;
      const started = performance.now();
      const worker = async () => {
        while (next++ < count) await api.get('/api/data');
      };
      await Promise.all(Array.from({ length: inFlight }, worker));
      return count / ((performance.now() - started) / 1000);
    },
    { impl, count, inFlight, apiOf: API_OF },
  );
}

/**
 * The floor for a token message: page -> worker -> page with a bare worker that only
 * echoes, over one persistent port and over a new MessageChannel per message (what the
 * client does), beside the broker's own `getToken` over a new channel. Interleaved
 * message by message.
 * @param {import('playwright-core').Page} page a page of the broker's scope @param {number} count
 */
async function measureRoundTrips(page, count) {
  const result = await page.evaluate(async (count) => {
    const bare = await navigator.serviceWorker.register('/bench/bare-sw.js', { scope: '/bench/bare/' });
    while (!bare.active) await new Promise((resolve) => setTimeout(resolve, 20));
    const bareWorker = /** @type {ServiceWorker} */ (bare.active);
    const broker = /** @type {ServiceWorker} */ ((await navigator.serviceWorker.getRegistration('/'))?.active);
    const persistent = new MessageChannel();
    await new Promise((resolve) => {
      persistent.port1.onmessage = resolve;
      bareWorker.postMessage({ connect: true }, [persistent.port2]);
    });
    /** @param {ServiceWorker} worker @param {unknown} message */
    const overNewChannel = (worker, message) =>
      new Promise((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = (event) => resolve(event.data);
        worker.postMessage(message, [channel.port2]);
      });
    const overPersistent = () =>
      new Promise((resolve) => {
        persistent.port1.onmessage = (event) => resolve(event.data);
        persistent.port1.postMessage({ ping: true });
      });
    /** @type {Record<string, number[]>} */
    const times = { persistent: [], newChannel: [], getToken: [] };
    /** @type {Record<string, () => Promise<unknown>>} */
    const send = {
      persistent: overPersistent,
      newChannel: () => overNewChannel(bareWorker, { ping: true }),
      getToken: async () => {
        const reply = /** @type {any} */ (await overNewChannel(broker, { protocol: 'sw-token-broker', v: 1, id: `t${Math.random()}`, type: 'getToken' }));
        if (!reply.ok) throw new Error(`getToken: ${JSON.stringify(reply)}`);
      },
    };
    for (let i = 0; i < 20; i++) for (const kind of Object.keys(send)) await send[kind]();
    for (let i = 0; i < count; i++) {
      for (const kind of Object.keys(send)) {
        const start = performance.now();
        await send[kind]();
        times[kind].push(performance.now() - start);
      }
    }
    return times;
  }, count);
  return {
    persistentPortP50Ms: round(median(result.persistent), 3),
    newChannelP50Ms: round(median(result.newChannel), 3),
    getTokenP50Ms: round(median(result.getToken), 3),
    messages: count,
  };
}
