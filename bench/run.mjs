// @ts-check
/**
 * `npm run bench [-- --json FILE]`: measures, in real Chromium against the mock server on
 * loopback, what the broker changes compared with the usual recipes:
 *   1. refresh storms (N tabs x M parallel requests right after expiry),
 *   2. token-endpoint calls per access-token lifetime in steady use; grants sent during a
 *      503 outage; a rotation that answers after the broker's timeout,
 *   3. overhead per request (sequential percentiles and throughput with 50 in flight),
 *   4. worker cold start to the first token, beside a bare worker's wake-up,
 *   5. bundle sizes.
 * Prints a table; with --json FILE also writes the results as JSON.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { CHROMIUM_ARGS, findOrInstallChromium } from '../scripts/find-browser.mjs';
import { stopWorkers } from '../scripts/service-workers.mjs';

const args = process.argv.slice(2);
const jsonIndex = args.indexOf('--json');
const jsonFile = jsonIndex >= 0 ? args[jsonIndex + 1] : undefined;
if (jsonIndex >= 0 && !jsonFile) throw new Error('--json needs a file name');
const quick = args.includes('--quick');

const PORT = Number(process.env.BENCH_PORT ?? 5401);
const BASE = `http://127.0.0.1:${PORT}`;
const STORM_TABS = [1, 2, 4, 8];
const STORM_REQUESTS = 20;
const STORM_RUNS = quick ? 1 : 3;
const STORM_TTL_S = 1.5;
const SEQUENTIAL = quick ? 300 : 2000;
const IN_FLIGHT = 50;
const COLD_STARTS = quick ? 5 : 20;
const REFRESH_DELAY_MS = 50;

/** @param {number[]} values @param {number} p */
function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
const median = (/** @type {number[]} */ values) => percentile(values, 50);
const round = (/** @type {number} */ n, digits = 2) => Number(n.toFixed(digits));

async function startServer() {
  const child = spawn(process.execPath, ['dist/server/main.js'], {
    env: { ...process.env, PORT: String(PORT), TEST_HOOKS: '1', REFRESH_DELAY_MS: String(REFRESH_DELAY_MS), ACCESS_TTL: '600' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`demo server exited with ${code}`)));
    child.stdout?.on('data', (chunk) => String(chunk).includes('http://') && resolve(undefined));
  });
  return child;
}

/** @param {string} path @param {unknown} [body] */
async function post(path, body) {
  const response = await fetch(BASE + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return response.json();
}
const stats = async () => (await fetch(`${BASE}/auth/stats`)).json();

const PAGES = { broker: '/', recipe: '/recipe.html', 'axios-auth-refresh': '/bench/' };

/** @param {import('playwright-core').BrowserContext} context @param {string} path */
async function openTab(context, path) {
  const page = await context.newPage();
  await page.goto(BASE + path);
  await page.waitForFunction(() => document.body.dataset.ready === 'true', undefined, { timeout: 20_000 });
  return page;
}

/** In-page: the axios instance of an implementation. */
const API_OF = `(impl) => impl === 'broker' ? window.demo.api : impl === 'recipe' ? window.recipe.api : impl === 'axios-auth-refresh' ? window.bench.aar.api : window.bench.plain.api`;

/** @param {import('playwright-core').Page} page @param {string} impl */
async function loginIn(page, impl) {
  await page.evaluate((impl) => {
    const w = /** @type {any} */ (window);
    if (impl === 'broker') return w.demo.broker.login({ username: 'demo', password: 'demo' });
    if (impl === 'recipe') return w.recipe.login();
    if (impl === 'axios-auth-refresh') return w.bench.aar.login();
    return w.bench.plain.login();
  }, impl);
}

/** One storm run: N tabs, M parallel requests each, right after expiry. */
async function stormRun(/** @type {import('playwright-core').Browser} */ browser, /** @type {string} */ impl, /** @type {number} */ tabCount) {
  const context = await browser.newContext();
  try {
    await post('/auth/test/config', { accessTtlSeconds: STORM_TTL_S, refreshDelayMs: REFRESH_DELAY_MS });
    const tabs = [];
    // One extra tab sends the signal, so that the N measured tabs are all receivers.
    for (let i = 0; i < tabCount + 1; i++) tabs.push(await openTab(context, PAGES[/** @type {keyof typeof PAGES} */ (impl)]));
    const [signal, ...measured] = tabs;
    await loginIn(measured[0], impl);
    if (impl === 'broker') for (const tab of measured) await tab.evaluate(() => window.demo.broker.status());
    await post('/auth/stats/reset');
    await measured[0].waitForTimeout(STORM_TTL_S * 1000 + 300);
    const armed = measured.map((tab) =>
      tab.evaluate(
        ({ impl, count, apiOf }) =>
          new Promise((resolve) => {
            const api = (0, eval)(apiOf)(impl);
            const channel = new BroadcastChannel('bench-go');
            /** @type {any} */ (window).__armed = true;
            channel.onmessage = async () => {
              channel.close();
              const results = await Promise.allSettled(Array.from({ length: count }, () => api.get('/api/data')));
              resolve(results.filter((r) => r.status === 'rejected').length);
            };
          }),
        { impl, count: STORM_REQUESTS, apiOf: API_OF },
      ),
    );
    for (const tab of measured) await tab.waitForFunction(() => /** @type {any} */ (window).__armed === true);
    await signal.evaluate(() => new BroadcastChannel('bench-go').postMessage('go'));
    const failedPerTab = /** @type {number[]} */ (await Promise.all(armed));
    const counted = await stats();
    // Is there still a working session? One more request from the first tab tells.
    const sessionLost = await measured[0].evaluate(
      ({ impl, apiOf }) => (0, eval)(apiOf)(impl).get('/api/data').then(() => false, () => true),
      { impl, apiOf: API_OF },
    );
    return {
      refreshes: counted.refreshes,
      reuseDetected: counted.reuseDetected,
      failed: failedPerTab.reduce((a, b) => a + b, 0),
      sessionLost,
    };
  } finally {
    await context.close();
  }
}

async function measureStorms(/** @type {import('playwright-core').Browser} */ browser) {
  const rows = [];
  for (const impl of ['broker', 'recipe', 'axios-auth-refresh']) {
    for (const tabs of STORM_TABS) {
      const runs = [];
      for (let run = 0; run < STORM_RUNS; run++) runs.push(await stormRun(browser, impl, tabs));
      const row = {
        impl,
        tabs,
        requests: tabs * STORM_REQUESTS,
        refreshes: median(runs.map((r) => r.refreshes)),
        reuseDetected: median(runs.map((r) => r.reuseDetected)),
        failed: median(runs.map((r) => r.failed)),
        sessionsLost: runs.filter((r) => r.sessionLost).length,
        runs,
      };
      rows.push(row);
      console.error(`storm ${impl} x${tabs}: ${JSON.stringify(runs)}`);
    }
  }
  return rows;
}

async function measureSteady(/** @type {import('playwright-core').Browser} */ browser) {
  const tabsCount = 4;
  const lifetimeS = 1;
  const durationS = quick ? 4 : 10;
  const context = await browser.newContext();
  try {
    await post('/auth/test/config', { accessTtlSeconds: lifetimeS, refreshDelayMs: REFRESH_DELAY_MS });
    const tabs = [];
    for (let i = 0; i < tabsCount; i++) tabs.push(await openTab(context, '/'));
    await loginIn(tabs[0], 'broker');
    await post('/auth/stats/reset');
    const results = await Promise.all(
      tabs.map((tab) =>
        tab.evaluate(async (durationMs) => {
          let ok = 0;
          let failed = 0;
          const end = performance.now() + durationMs;
          while (performance.now() < end) {
            await window.demo.api.get('/api/data').then(() => ok++, () => failed++);
            await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
          }
          return { ok, failed };
        }, durationS * 1000),
      ),
    );
    const counted = await stats();
    const lifetimes = durationS / lifetimeS;
    return {
      impl: 'broker',
      tabs: tabsCount,
      lifetimeS,
      durationS,
      requests: results.reduce((sum, r) => sum + r.ok + r.failed, 0),
      failed: results.reduce((sum, r) => sum + r.failed, 0),
      refreshes: counted.refreshes,
      api401: counted.api401,
      refreshesPerLifetime: round(counted.refreshes / lifetimes),
    };
  } finally {
    await context.close();
  }
}

/**
 * Grants sent to a failing token endpoint: the broker in 2 tabs, the endpoint answering
 * 503, 15 requests (3 rounds of 5, each tab in turn) within the first cool-down.
 */
async function measureOutage(/** @type {import('playwright-core').Browser} */ browser) {
  const context = await browser.newContext();
  try {
    await post('/auth/test/config', { accessTtlSeconds: 600, refreshDelayMs: REFRESH_DELAY_MS });
    const tabs = [await openTab(context, '/'), await openTab(context, '/')];
    await loginIn(tabs[0], 'broker');
    await post('/auth/test/fault', { refresh: '503' });
    await post('/auth/test/expire-access-tokens');
    await post('/auth/stats/reset');
    let failed = 0;
    for (let round = 0; round < 3; round++) {
      const tab = tabs[round % tabs.length];
      failed += await tab.evaluate(async () => {
        const results = await Promise.allSettled(Array.from({ length: 5 }, () => window.demo.api.get('/api/data')));
        return results.filter((r) => r.status === 'rejected').length;
      });
    }
    const grants = (await stats()).refreshes;
    await post('/auth/test/fault', { refresh: 'none' });
    return { requests: 15, grants, failed };
  } finally {
    await post('/auth/test/fault', { refresh: 'none' });
    await context.close();
  }
}

/**
 * A rotating token endpoint that answers after the broker's timeout (the demo worker's
 * requestTimeoutMs, 10 s): callers get a retryable error, the answer is stored when it
 * comes, and the session goes on without reuse.
 */
async function measureSlowRotation(/** @type {import('playwright-core').Browser} */ browser) {
  const timeoutMs = 10_000;
  const answerAfterMs = timeoutMs + 1500;
  const context = await browser.newContext();
  try {
    await post('/auth/test/config', { accessTtlSeconds: 600, refreshDelayMs: answerAfterMs });
    const page = await openTab(context, '/');
    await loginIn(page, 'broker');
    await post('/auth/test/expire-access-tokens');
    await post('/auth/stats/reset');
    const fire = () =>
      page.evaluate(async () => {
        const results = await Promise.allSettled(Array.from({ length: 5 }, () => window.demo.api.get('/api/data')));
        return results.filter((r) => r.status === 'rejected').length;
      });
    const failedBefore = await fire();
    const deadline = Date.now() + answerAfterMs + 5000;
    while ((await page.evaluate(() => window.demo.broker.status())).generation !== 2 && Date.now() < deadline) await page.waitForTimeout(100);
    await post('/auth/test/config', { refreshDelayMs: REFRESH_DELAY_MS });
    const failedAfter = await fire();
    const counted = await stats();
    return {
      timeoutMs,
      answerAfterMs,
      failedWhileWaiting: failedBefore,
      failedAfter,
      sessionKept: failedAfter === 0 && counted.reuseDetected === 0,
      refreshes: counted.refreshes,
      reuseDetected: counted.reuseDetected,
    };
  } finally {
    await post('/auth/test/config', { refreshDelayMs: REFRESH_DELAY_MS });
    await context.close();
  }
}

async function measureOverhead(/** @type {import('playwright-core').Browser} */ browser, /** @type {string} */ mode) {
  const context = await browser.newContext();
  try {
    await post('/auth/test/config', { accessTtlSeconds: 600, refreshDelayMs: REFRESH_DELAY_MS });
    const impl = mode === 'plain' ? 'plain' : 'broker';
    const page = await openTab(context, mode === 'plain' ? '/bench/' : mode === 'sealed' ? '/sealed/' : '/');
    await loginIn(page, impl);
    return await page.evaluate(
      async ({ impl, sequential, inFlight, apiOf }) => {
        const api = (0, eval)(apiOf)(impl);
        for (let i = 0; i < 50; i++) await api.get('/api/data'); // warm-up
        const times = [];
        for (let i = 0; i < sequential; i++) {
          const start = performance.now();
          await api.get('/api/data');
          times.push(performance.now() - start);
        }
        let next = 0;
        const started = performance.now();
        const worker = async () => {
          while (next++ < sequential) await api.get('/api/data');
        };
        await Promise.all(Array.from({ length: inFlight }, worker));
        const seconds = (performance.now() - started) / 1000;
        return { times, rps: sequential / seconds };
      },
      { impl, sequential: SEQUENTIAL, inFlight: IN_FLIGHT, apiOf: API_OF },
    ).then(({ times, rps }) => ({
      mode,
      p50Ms: round(percentile(times, 50)),
      p95Ms: round(percentile(times, 95)),
      p99Ms: round(percentile(times, 99)),
      rps: Math.round(rps),
      requests: SEQUENTIAL,
    }));
  } finally {
    await context.close();
  }
}

async function measureColdStart(/** @type {import('playwright-core').Browser} */ browser) {
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
    for (let i = 0; i < COLD_STARTS; i++) {
      await stopWorkers(page);
      broker.push(await timeOne('broker'));
      await stopWorkers(page);
      bare.push(await timeOne('bare'));
    }
    return { p50Ms: round(median(broker)), p95Ms: round(percentile(broker, 95)), bareWorkerP50Ms: round(median(bare)), repeats: COLD_STARTS };
  } finally {
    await context.close();
  }
}

async function measureBundles() {
  const out = mkdtempSync(join(tmpdir(), 'swtb-bundle-'));
  try {
    const common = { configFile: /** @type {false} */ (false), logLevel: /** @type {const} */ ('silent') };
    await build({
      ...common,
      build: {
        outDir: join(out, 'page'),
        minify: true,
        lib: { entry: 'src/index.ts', formats: ['es'], fileName: () => 'page.js' },
        rolldownOptions: { external: [/^axios/] },
      },
    });
    await build({
      ...common,
      build: { outDir: join(out, 'worker'), minify: true, lib: { entry: 'demo/sw.ts', formats: ['iife'], name: 'w', fileName: () => 'sw.js' } },
    });
    const size = (/** @type {string} */ file) => {
      const data = readFileSync(file);
      return { raw: data.length, gzip: gzipSync(data, { level: 9 }).length };
    };
    const page = size(join(out, 'page', 'page.js'));
    const worker = size(join(out, 'worker', 'sw.js'));
    return { pageGzipBytes: page.gzip, pageMinBytes: page.raw, workerGzipBytes: worker.gzip, workerMinBytes: worker.raw };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

async function main() {
  const started = Date.now();
  const server = await startServer();
  const browser = await chromium.launch({ executablePath: findOrInstallChromium(), args: CHROMIUM_ARGS });
  try {
    const hasSealed = await fetch(`${BASE}/sealed/`).then((r) => r.ok);
    const storm = await measureStorms(browser);
    const steady = await measureSteady(browser);
    const outage = await measureOutage(browser);
    const slowRotation = await measureSlowRotation(browser);
    const overhead = [];
    for (const mode of ['plain', 'handoff', ...(hasSealed ? ['sealed'] : [])]) overhead.push(await measureOverhead(browser, mode));
    const coldStart = await measureColdStart(browser);
    const bundle = await measureBundles();
    const results = {
      storm,
      steady,
      outage,
      slowRotation,
      overhead,
      coldStart,
      bundle,
      browser: `Chromium ${browser.version()}`,
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      settings: { stormTtlS: STORM_TTL_S, stormRequests: STORM_REQUESTS, stormRuns: STORM_RUNS, refreshDelayMs: REFRESH_DELAY_MS, sequential: SEQUENTIAL, inFlight: IN_FLIGHT },
      seconds: Math.round((Date.now() - started) / 1000),
    };
    print(results);
    if (jsonFile) {
      writeFileSync(jsonFile, JSON.stringify(results, null, 2) + '\n');
      console.log(`\nwrote ${jsonFile}`);
    }
  } finally {
    await browser.close();
    server.kill('SIGTERM');
  }
}

/** @param {any} r */
function print(r) {
  console.log(`\nsw-token-broker benchmark: ${r.browser}, Node ${r.node}, ${r.cpus} cpus, ${r.seconds} s`);
  console.log(`\n1. Refresh storm: N tabs x ${STORM_REQUESTS} parallel requests right after expiry (median of ${STORM_RUNS} runs; sessions lost out of ${STORM_RUNS})`);
  console.log('impl                 tabs  requests  refreshes  reuse  failed  sessions lost');
  for (const row of r.storm) {
    console.log(
      `${row.impl.padEnd(20)} ${String(row.tabs).padStart(4)}  ${String(row.requests).padStart(8)}  ${String(row.refreshes).padStart(9)}  ${String(row.reuseDetected).padStart(5)}  ${String(row.failed).padStart(6)}  ${String(row.sessionsLost).padStart(13)}`,
    );
  }
  const s = r.steady;
  console.log(`\n2. Steady use: ${s.tabs} tabs for ${s.durationS} s, access tokens of ${s.lifetimeS} s: ${s.requests} requests, ${s.failed} failed, ${s.refreshes} refreshes = ${s.refreshesPerLifetime} per lifetime (floor 1), ${s.api401} 401s`);
  const o = r.outage;
  console.log(`\n2b. Outage: token endpoint answering 503, ${o.requests} requests from 2 tabs: ${o.grants} refresh grants sent, ${o.failed} requests failed (retryable), session kept`);
  const w = r.slowRotation;
  console.log(`\n2c. Slow rotation: answer after ${w.answerAfterMs} ms, timeout ${w.timeoutMs} ms: ${w.failedWhileWaiting} of 5 failed while waiting, ${w.failedAfter} of 5 failed after; ${w.refreshes} grant, ${w.reuseDetected} reuse; session ${w.sessionKept ? 'kept' : 'LOST'}`);
  console.log(`\n3. Overhead per request on loopback (${SEQUENTIAL} sequential; throughput with ${IN_FLIGHT} in flight)`);
  console.log('mode      p50 ms  p95 ms  p99 ms    req/s');
  for (const row of r.overhead) {
    console.log(`${row.mode.padEnd(8)} ${String(row.p50Ms).padStart(7)} ${String(row.p95Ms).padStart(7)} ${String(row.p99Ms).padStart(7)} ${String(row.rps).padStart(8)}`);
  }
  console.log(`\n4. Cold start (worker stopped -> first token): p50 ${r.coldStart.p50Ms} ms, p95 ${r.coldStart.p95Ms} ms; a bare worker's ping: p50 ${r.coldStart.bareWorkerP50Ms} ms (${r.coldStart.repeats} repeats)`);
  console.log(`\n5. Bundles (minified, gzip -9): page entry without axios ${r.bundle.pageGzipBytes} B; standalone worker ${r.bundle.workerGzipBytes} B`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
