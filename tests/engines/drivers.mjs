// @ts-check
/**
 * One small interface over the two engines Playwright cannot drive here: Firefox ESR over
 * WebDriver BiDi (puppeteer-core) and WebKit's MiniBrowser over WebDriver
 * (selenium-webdriver + WebKitWebDriver under Xvfb). A tab runs async functions in the page.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import puppeteer from 'puppeteer-core';
import { Builder, By } from 'selenium-webdriver';
import { findOrInstallEngines } from '../../scripts/find-engines.mjs';
import { CHROMIUM_ARGS, findOrInstallChromium } from '../../scripts/find-browser.mjs';

/**
 * A tab: `evaluate` runs a function in the page (a navigation while it runs rejects it:
 * start navigations from a timer and poll with `url`); `reload` waits for the load;
 * `evaluateInFrame` runs a function in the page's first iframe (the harness's view into the
 * vault frame, which the page's own script cannot have).
 * @typedef {{
 *   evaluate: <T>(fn: (...args: any[]) => Promise<T> | T, ...args: unknown[]) => Promise<T>,
 *   url: () => Promise<string>,
 *   reload: () => Promise<void>,
 *   goto: (url: string) => Promise<void>,
 *   evaluateInFrame: <T>(fn: (...args: any[]) => Promise<T> | T, ...args: unknown[]) => Promise<T>,
 *   click: (selector: string) => Promise<void>,
 *   close?: () => Promise<void>,
 * }} Tab
 * @typedef {{ name: string, newTab: (url: string) => Promise<Tab>, close: () => Promise<void> }} Engine
 */

/** A free port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Firefox, with the worker's idle timeouts short so the browser stops and restarts it. @returns {Promise<Engine>} */
export async function launchFirefox(/** @type {Record<string, unknown>} */ prefs = {}) {
  const { firefox } = findOrInstallEngines();
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: firefox,
    headless: true,
    extraPrefsFirefox: { 'dom.serviceWorkers.idle_timeout': 1000, 'dom.serviceWorkers.idle_extended_timeout': 1000, ...prefs },
  });
  return puppeteerEngine('Firefox', browser);
}

/**
 * Debian's Chromium over the DevTools protocol (puppeteer-core), for suites that must launch
 * it themselves: a managed policy (`/etc/chromium/policies/managed/`) is read at launch.
 * @returns {Promise<Engine>}
 */
export async function launchChromium() {
  const browser = await puppeteer.launch({ browser: 'chrome', executablePath: findOrInstallChromium(), headless: true, args: CHROMIUM_ARGS });
  return puppeteerEngine('Chromium', browser);
}

/** @param {string} name @param {import('puppeteer-core').Browser} browser @returns {Promise<Engine>} */
async function puppeteerEngine(name, browser) {
  const context = await browser.createBrowserContext();
  return {
    name,
    async newTab(url) {
      const page = await context.newPage();
      await page.goto(url);
      return {
        evaluate: (fn, ...args) => page.evaluate(fn, ...args),
        url: async () => page.url(),
        // BiDi has no cache-bypassing reload (`ignoreCache` is unsupported): a normal one.
        reload: async () => void (await page.reload()),
        goto: async (to) => void (await page.goto(to)),
        close: () => page.close(),
        click: (selector) => page.click(selector),
        async evaluateInFrame(fn, ...args) {
          const frame = page.frames().find((each) => each !== page.mainFrame());
          if (!frame) throw new Error('the page has no iframe');
          return frame.evaluate(fn, ...args);
        },
      };
    },
    close: () => browser.close(),
  };
}

/**
 * WebKit: Xvfb, WebKitWebDriver, MiniBrowser with --automation (without it the session hangs).
 * @param {string[]} args more MiniBrowser arguments (`--features=-ServiceWorkers` switches service workers off)
 * @returns {Promise<Engine>}
 */
export async function launchWebKit(args = []) {
  const { miniBrowser, webkitDriver, xvfb } = findOrInstallEngines();
  const display = `:${90 + Math.floor(Math.random() * 9)}`;
  const screen = spawn(xvfb, [display, '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
  const port = await freePort();
  const driverProcess = spawn(webkitDriver, [`--port=${port}`], { stdio: 'ignore', env: { ...process.env, DISPLAY: display } });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const driver = await new Builder()
    .usingServer(`http://127.0.0.1:${port}`)
    .withCapabilities({ browserName: 'MiniBrowser', 'webkitgtk:browserOptions': { binary: miniBrowser, args: ['--automation', ...args] } })
    .build();
  await driver.manage().setTimeouts({ script: 60_000 });
  let first = true;
  // Every call switches to its tab first: WebDriver drives one window at a time.
  let queue = Promise.resolve();
  const inTab = (/** @type {string} */ handle, /** @type {() => Promise<any>} */ work) => {
    const run = queue.then(async () => {
      await driver.switchTo().window(handle);
      return work();
    });
    queue = run.then(() => undefined, () => undefined);
    return run;
  };
  /** Runs `fn(...args)` in the current browsing context; its result must be JSON. @param {Function} fn @param {unknown[]} args */
  const runScript = async (fn, args) => {
    const result = await driver.executeAsyncScript(
      `const done = arguments[arguments.length - 1];
       Promise.resolve().then(() => (${fn.toString()})(...${JSON.stringify(args)}))
         .then((value) => done({ value }), (error) => done({ error: String(error && error.message || error) }));`,
    );
    if (result && 'error' in result) throw new Error(result.error);
    return result?.value;
  };
  return {
    name: 'WebKit',
    async newTab(url) {
      if (!first) await driver.switchTo().newWindow('tab');
      first = false;
      await driver.get(url);
      const handle = await driver.getWindowHandle();
      return {
        evaluate: (fn, ...args) => inTab(handle, () => runScript(fn, args)),
        click: (selector) => inTab(handle, async () => (await driver.findElement(By.css(selector))).click()),
        evaluateInFrame: (fn, ...args) =>
          inTab(handle, async () => {
            await driver.switchTo().frame(0);
            try {
              return await runScript(fn, args);
            } finally {
              await driver.switchTo().defaultContent();
            }
          }),
        url: () => inTab(handle, () => driver.getCurrentUrl()),
        reload: () => inTab(handle, () => driver.navigate().refresh()),
        goto: (to) => inTab(handle, () => driver.get(to)),
        close: () => inTab(handle, () => driver.close()),
      };
    },
    async close() {
      await driver.quit().catch(() => undefined);
      driverProcess.kill();
      screen.kill();
    },
  };
}
