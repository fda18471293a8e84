// @ts-check
/** Service-worker control through CDP, shared by the end-to-end tests and the benchmark. */

/**
 * Stops every service worker of the page's browser (CDP `ServiceWorker.stopAllWorkers`)
 * and waits until CDP reports them all stopped.
 *
 * A stop takes milliseconds on a quiet machine; the bound is wide because on a loaded 2-core
 * machine (CI beside a benchmark) Chromium has been seen to take over 5 s, and a slow stop is
 * not what the tests are about.
 *
 * @param {import('playwright-core').Page} page
 * @param {number} [timeoutMs]
 */
export async function stopWorkers(page, timeoutMs = 20_000) {
  const cdp = await page.context().newCDPSession(page);
  /** @type {Map<string, string>} */
  const running = new Map();
  /** @type {Map<string, string>} */
  const scripts = new Map();
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
    for (const version of versions) {
      running.set(version.versionId, version.runningStatus);
      scripts.set(version.versionId, `${version.scriptURL} (${version.status})`);
    }
  });
  await cdp.send('ServiceWorker.enable');
  await cdp.send('ServiceWorker.stopAllWorkers');
  const deadline = Date.now() + timeoutMs;
  while (!(running.size > 0 && [...running.values()].every((status) => status === 'stopped'))) {
    if (Date.now() > deadline) {
      const states = [...running].map(([id, status]) => `${scripts.get(id)}: ${status}`).join('; ');
      throw new Error(`Service workers did not stop within ${timeoutMs} ms (${states || 'none reported'})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await cdp.detach();
}
