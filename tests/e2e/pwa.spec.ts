/**
 * The example PWA (demo/pwa): vite-plugin-pwa injectManifest, Workbox precaching and a
 * runtime route, and the broker in the same worker. Also the importScripts recipe.
 */
import { CHROMIUM_ARGS, findChromium } from '../../scripts/find-browser.mjs';
import { expect, fireCalls, fireInAllTabsAtOnce, login, test } from './fixtures.js';

test('the example PWA is installable, and its own worker controls the page', async ({ playwright, baseURL }, testInfo) => {
  // A persistent profile: Playwright's default contexts are incognito, where Chromium never offers to install.
  const context = await playwright.chromium.launchPersistentContext(testInfo.outputPath('profile'), {
    executablePath: findChromium(),
    args: CHROMIUM_ARGS,
    baseURL,
  });
  try {
    const page = await context.newPage();
    await page.goto('/pwa/');
    await page.waitForFunction(() => navigator.serviceWorker.controller?.scriptURL.endsWith('/pwa/sw.js'));
    const manifest = await page.evaluate(async () => (await fetch(document.querySelector<HTMLLinkElement>('link[rel=manifest]')!.href)).json());
    expect(manifest).toMatchObject({ start_url: '/pwa/', scope: '/pwa/', display: 'standalone' });
    expect(manifest.icons.map((icon: { sizes: string }) => icon.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));
    const cdp = await context.newCDPSession(page);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    expect(installabilityErrors).toEqual([]);
  } finally {
    await context.close();
  }
});

test('Workbox and the broker share the worker: precache, a runtime route, and signed API calls', async ({ openTab, server }) => {
  const page = await openTab('/pwa/');
  expect(await page.evaluate(() => window.demo.broker.mode)).toBe('sealed');
  await login(page);
  expect(await fireCalls(page, 3)).toEqual({ ok: 3, errors: [] });
  await expect.poll(() => page.evaluate(async () => (await caches.keys()).some((name) => name.includes('precache')))).toBe(true);
  await expect.poll(() => page.evaluate(async () => !!(await (await caches.open('pwa-counters')).match('/auth/stats')))).toBe(true);
  // The API responses were never cached by Workbox: they are the broker's alone.
  expect(await page.evaluate(async () => {
    for (const name of await caches.keys()) if (await (await caches.open(name)).match('/api/data')) return true;
    return false;
  })).toBe(false);
  expect(await server.stats()).toMatchObject({ apiCalls: 3, api401: 0 });
});

test('the app shell comes from the precache offline, and the session is still there', async ({ context, openTab }) => {
  const page = await openTab('/pwa/');
  await login(page);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await expect.poll(() => page.evaluate(async () => (await caches.keys()).some((name) => name.includes('precache')))).toBe(true);
  await context.setOffline(true);
  try {
    await page.reload();
    await page.waitForFunction(() => document.body.dataset.ready === 'true');
    await expect(page.locator('h1')).toContainText('An installable PWA with the broker');
    expect(await page.evaluate(() => window.demo.broker.status())).toMatchObject({ loggedIn: true, mode: 'sealed' });
  } finally {
    await context.setOffline(false);
  }
  expect(await fireCalls(page, 2)).toEqual({ ok: 2, errors: [] });
});

test('several tabs of the PWA share one refresh after expiry', async ({ openTab, server }) => {
  await server.setAccessTtl(2);
  const tabs = [await openTab('/pwa/'), await openTab('/pwa/'), await openTab('/pwa/')];
  await login(tabs[0]);
  await tabs[0].waitForTimeout(2300);
  // The refreshed token lives 30 s: on a loaded machine the storm can outlast a 2-second token.
  await server.setAccessTtl(30);
  const results = await fireInAllTabsAtOnce(tabs, 10);
  expect(results).toEqual(tabs.map(() => ({ ok: 10, errors: [] })));
  expect(await server.stats()).toMatchObject({ logins: 1, refreshes: 1, reuseDetected: 0 });
});

test('an update (a new build with a changed precache manifest) activates without losing the session', async ({ openTab, server }) => {
  const page = await openTab('/pwa/');
  await expect(page.locator('#app-version')).toHaveText('build 1');
  await login(page);
  expect(await fireCalls(page, 2)).toEqual({ ok: 2, errors: [] });
  // Waits for a new controller, not for the controllerchange event: the browser's own update
  // check (after the navigation) may install the new build before this page listens.
  await page.evaluate(() => ((window as any).__controllerBefore = navigator.serviceWorker.controller));
  await server.publishPwaVersion('2');
  await page.evaluate(async () => {
    await (await navigator.serviceWorker.getRegistration('/pwa/'))!.update();
    while (navigator.serviceWorker.controller === (window as any).__controllerBefore) await new Promise((resolve) => setTimeout(resolve, 50));
  });
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  await expect(page.locator('#app-version')).toHaveText('build 2');
  expect(await page.evaluate(() => window.demo.broker.status())).toMatchObject({ loggedIn: true, generation: 1 });
  expect(await fireCalls(page, 2)).toEqual({ ok: 2, errors: [] });
  expect(await server.stats()).toMatchObject({ logins: 1, reuseDetected: 0 });
});

test('the plain Workbox recipe (workbox-build injectManifest): precache offline, and the broker signs API calls', async ({ context, openTab, server }) => {
  const page = await openTab('/workbox/');
  expect(await page.evaluate(() => window.demo.broker.mode)).toBe('sealed');
  await login(page);
  expect(await fireCalls(page, 3)).toEqual({ ok: 3, errors: [] });
  await expect.poll(() => page.evaluate(async () => (await caches.keys()).some((name) => name.includes('precache')))).toBe(true);
  await context.setOffline(true);
  try {
    await page.reload();
    await page.waitForFunction(() => document.body.dataset.ready === 'true');
    await expect(page.locator('h1')).toContainText('A plain Workbox worker with the broker');
    expect(await page.evaluate(() => window.demo.broker.status())).toMatchObject({ loggedIn: true });
  } finally {
    await context.setOffline(false);
  }
  expect(await server.stats()).toMatchObject({ logins: 1, apiCalls: 3, api401: 0 });
});

test('a classic worker loads the broker with importScripts, and its own message handler still works', async ({ openTab, server }) => {
  const page = await openTab('/classic/');
  await login(page);
  expect(await fireCalls(page, 3)).toEqual({ ok: 3, errors: [] });
  expect(await server.stats()).toMatchObject({ logins: 1, apiCalls: 3 });
  const hello = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = (event) => resolve(event.data);
        navigator.serviceWorker.getRegistration('/classic/').then((registration) => registration!.active!.postMessage('hello', [channel.port2]));
      }),
  );
  expect(hello).toBe('hello from the classic worker');
});
