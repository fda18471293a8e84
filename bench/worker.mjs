// @ts-check
/** The broker's worker itself: waking it from stopped, and its heap under steady use. */
import { stopWorkers } from '../scripts/service-workers.mjs';
import { BASE, loginIn, median, openTab, percentile, post, round, shuffled } from './shared.mjs';

/** The floors the cold start is compared with: where each worker's script is, and its scope. */
const BARE_WORKERS = {
  bare: { script: '/bench/bare-sw.js', scope: '/bench/bare/' },
  'bare-idb': { script: '/bench/bare-idb-sw.js', scope: '/bench/bare-idb/' },
};

/**
 * A stopped worker to the first access token in hand, beside two floors woken the same way
 * in the same rounds: a bare worker's ping, and a bare worker that reads one IndexedDB record
 * first (what any worker keeping its session on disk pays). Between the second and the
 * broker: loading and running the broker's script.
 * @param {import('playwright-core').Browser} browser @param {number} repeats
 */
export async function measureColdStart(browser, repeats) {
  const context = await browser.newContext();
  try {
    await post('/auth/test/config', { accessTtlSeconds: 600 });
    const page = await openTab(context, '/');
    await loginIn(page, 'broker');
    await page.evaluate(async (workers) => {
      for (const { script, scope } of Object.values(workers)) {
        const registration = await navigator.serviceWorker.register(script, { scope });
        while (!registration.active) await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }, BARE_WORKERS);
    // A quiet page in the same scope: the demo page asks for the status every 500 ms, which
    // wakes a stopped worker at once and makes "stopped" a race.
    await page.goto(`${BASE}/auth/config`);
    /** @param {'broker' | keyof typeof BARE_WORKERS} which */
    const timeOne = (which) =>
      page.evaluate(
        async ({ which, workers }) => {
          const registration = await navigator.serviceWorker.getRegistration(which === 'broker' ? '/' : workers[which].scope);
          const message = which === 'broker' ? { protocol: 'sw-token-broker', v: 1, id: 'cold', type: 'getToken' } : { ping: true };
          const start = performance.now();
          const reply = await new Promise((resolve) => {
            const channel = new MessageChannel();
            channel.port1.onmessage = (event) => resolve(event.data);
            registration?.active?.postMessage(message, [channel.port2]);
          });
          if (!(/** @type {any} */ (reply).ok)) throw new Error(`cold start reply of ${which}: ${JSON.stringify(reply)}`);
          return performance.now() - start;
        },
        { which, workers: BARE_WORKERS },
      );
    /** @type {Record<'broker' | keyof typeof BARE_WORKERS, number[]>} */
    const times = { broker: [], bare: [], 'bare-idb': [] };
    for (let i = 0; i < repeats; i++) {
      for (const which of shuffled(/** @type {const} */ (['broker', 'bare', 'bare-idb']))) {
        await stopWorkers(page);
        times[which].push(await timeOne(which));
      }
    }
    return {
      p50Ms: round(median(times.broker)),
      p95Ms: round(percentile(times.broker, 95)),
      bareWorkerP50Ms: round(median(times.bare)),
      bareIdbWorkerP50Ms: round(median(times['bare-idb'])),
      // Ratios round by round would pair unrelated wake-ups; these are of the medians.
      ratioToBare: round(median(times.broker) / median(times.bare), 3),
      ratioToBareIdb: round(median(times.broker) / median(times['bare-idb']), 3),
      repeats,
    };
  } finally {
    await context.close();
  }
}

/**
 * The sealed worker's JavaScript heap (after a forced garbage collection) once 1,000 and
 * once 10,000 signed requests have gone through it: a leak per request shows as growth.
 * Read over CDP from the worker's own target.
 * @param {import('playwright-core').Browser} browser @param {number[]} checkpoints
 */
export async function measureWorkerHeap(browser, checkpoints) {
  const context = await browser.newContext();
  const cdp = await browser.newBrowserCDPSession();
  try {
    await post('/auth/test/config', { accessTtlSeconds: 600 });
    const page = await openTab(context, '/sealed/');
    await loginIn(page, 'sealed');
    const { targetInfos } = await cdp.send('Target.getTargets');
    const target = targetInfos.find((info) => info.type === 'service_worker' && info.url === `${BASE}/sealed/sw.js`);
    if (!target) throw new Error('the sealed worker has no CDP target');
    const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: false });
    let nextId = 0;
    /** @type {Map<number, (message: any) => void>} */
    const waiting = new Map();
    cdp.on('Target.receivedMessageFromTarget', (event) => {
      const message = JSON.parse(event.message);
      waiting.get(message.id)?.(message);
    });
    /** @param {string} method @returns {Promise<any>} */
    const inWorker = (method) =>
      new Promise((resolve) => {
        const id = ++nextId;
        waiting.set(id, (message) => resolve(message.result));
        void cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params: {} }) });
      });
    const rows = [];
    let done = 0;
    for (const requests of checkpoints) {
      await page.evaluate(async (count) => {
        // 10 in flight at a time, as in an app in steady use; every one passes the worker.
        let next = 0;
        const worker = async () => {
          while (next++ < count) await window.demo.api.get('/api/data');
        };
        await Promise.all(Array.from({ length: 10 }, worker));
      }, requests - done);
      done = requests;
      await inWorker('HeapProfiler.collectGarbage');
      const { usedSize } = await inWorker('Runtime.getHeapUsage');
      rows.push({ requests, kb: round(usedSize / 1024, 1) });
    }
    return rows;
  } finally {
    await cdp.detach().catch(() => undefined);
    await context.close();
  }
}
