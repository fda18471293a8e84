// @ts-check
/** Service-worker control through CDP, shared by the end-to-end tests and the benchmark. */

/**
 * Stops every service worker of the page's browser (CDP `ServiceWorker.stopAllWorkers`)
 * and waits until CDP has reported each of them stopped. "Reported stopped since the
 * command", not "all stopped at one instant": a page that keeps talking to its worker (the
 * demo page asks for the status every 500 ms) wakes it again at once, which is what a
 * stopped worker does, and must not make the wait a race.
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
  /** Versions CDP reported stopped after the stop command was sent. */
  const stopped = new Set();
  let commandSent = false;
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
    for (const version of versions) {
      running.set(version.versionId, version.runningStatus);
      scripts.set(version.versionId, `${version.scriptURL} (${version.status})`);
      if (commandSent && version.runningStatus === 'stopped') stopped.add(version.versionId);
    }
  });
  await cdp.send('ServiceWorker.enable');
  // Those already stopped before the command count as stopped.
  for (const [id, status] of running) if (status === 'stopped') stopped.add(id);
  commandSent = true;
  await cdp.send('ServiceWorker.stopAllWorkers');
  const deadline = Date.now() + timeoutMs;
  while (!(running.size > 0 && [...running.keys()].every((id) => stopped.has(id) || running.get(id) === 'stopped'))) {
    if (Date.now() > deadline) {
      const states = [...running].map(([id, status]) => `${scripts.get(id)}: ${status}`).join('; ');
      throw new Error(`Service workers did not stop within ${timeoutMs} ms (${states || 'none reported'})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await cdp.detach();
}
