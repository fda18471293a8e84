// @ts-check
/** The broker's worker itself: waking it from stopped, and its heap under steady use. */
import { stopWorkers } from '../scripts/service-workers.mjs';
import { BASE, loginIn, median, openTab, percentile, post, round } from './shared.mjs';

/**
 * A stopped worker to the first access token in hand, beside a bare worker's wake-up.
 * @param {import('playwright-core').Browser} browser @param {number} repeats
 */
export async function measureColdStart(browser, repeats) {
  const context = await browser.newContext();
  try {
    await post('/auth/test/config', { accessTtlSeconds: 600 });
    const page = await openTab(context, '/');
    await loginIn(page, 'broker');
    await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.register('/bench/bare-sw.js', { scope: '/bench/bare/' });
      while (!registration.active) await new Promise((resolve) => setTimeout(resolve, 20));
    });
    // A quiet page in the same scope: the demo page asks for the status every 500 ms, which
    // wakes a stopped worker at once and makes "stopped" a race.
    await page.goto(`${BASE}/auth/config`);
    /** @param {'broker' | 'bare'} which */
    const timeOne = (which) =>
      page.evaluate(async (which) => {
        const registration = await navigator.serviceWorker.getRegistration(which === 'bare' ? '/bench/bare/' : '/');
        const message = which === 'bare' ? { ping: true } : { protocol: 'sw-token-broker', v: 1, id: 'cold', type: 'getToken' };
        const start = performance.now();
        const reply = await new Promise((resolve) => {
          const channel = new MessageChannel();
          channel.port1.onmessage = (event) => resolve(event.data);
          registration?.active?.postMessage(message, [channel.port2]);
        });
        if (!(/** @type {any} */ (reply).ok)) throw new Error(`cold start reply: ${JSON.stringify(reply)}`);
        return performance.now() - start;
      }, which);
    const broker = [];
    const bare = [];
    for (let i = 0; i < repeats; i++) {
      await stopWorkers(page);
      broker.push(await timeOne('broker'));
      await stopWorkers(page);
      bare.push(await timeOne('bare'));
    }
    return { p50Ms: round(median(broker)), p95Ms: round(percentile(broker, 95)), bareWorkerP50Ms: round(median(bare)), repeats };
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
