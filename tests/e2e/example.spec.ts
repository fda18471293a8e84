/**
 * The example app as a user builds it: examples/vite-pwa (Vite + TypeScript +
 * vite-plugin-pwa injectManifest + axios), built from the packed tarball, against its own
 * small backend. Three tabs, one refresh.
 */
import { EXAMPLE_DEV_PORT, EXAMPLE_PORT } from '../../playwright.config.js';
import { expect, fireInAllTabsAtOnce, test } from './fixtures.js';

const ORIGIN = `http://127.0.0.1:${EXAMPLE_PORT}`;

test('the example app, built from the packed package: three tabs share one session and one refresh after expiry', async ({ context, request }) => {
  await request.post(`${ORIGIN}/auth/test/reset`);
  const tabs = [];
  for (let i = 0; i < 3; i++) {
    const tab = await context.newPage();
    await tab.goto(`${ORIGIN}/`);
    await tab.waitForFunction(() => document.body.dataset.ready === 'true');
    tabs.push(tab);
  }
  await tabs[0].locator('#login').click();
  for (const tab of tabs) await expect(tab.locator('#state')).toHaveText('Logged in (token 1)');
  await tabs[1].locator('#call').click();
  await expect(tabs[1].locator('#out')).toHaveText('{"user":"demo"}');
  await request.post(`${ORIGIN}/auth/test/expire`);
  const results = await fireInAllTabsAtOnce(tabs, 10, 'example', '/me');
  for (const result of results) expect(result).toEqual({ ok: 10, errors: [] });
  expect(await (await request.get(`${ORIGIN}/auth/stats`)).json()).toMatchObject({ logins: 1, refreshes: 1, reuseDetected: 0 });
  for (const tab of tabs) await expect(tab.locator('#state')).toHaveText('Logged in (token 2)');
  await tabs[2].locator('#logout').click();
  for (const tab of tabs) await expect(tab.locator('#state')).toHaveText('Logged out');
});

test('the example app from the packed package: a write made offline is kept without its token and replayed once the network returns, with one refresh', async ({ context, request }) => {
  await request.post(`${ORIGIN}/auth/test/reset`);
  const page = await context.newPage();
  await page.goto(`${ORIGIN}/`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  await page.locator('#login').click();
  await expect(page.locator('#state')).toHaveText('Logged in (token 1)');
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  const post = (text: string) =>
    page.evaluate((body) => (window as any).example.api.post('/notes', body).then((r: any) => r.status, (e: any) => `${e.code}`), { text });
  await context.setOffline(true);
  try {
    expect([await post('first'), await post('second')]).toEqual([202, 202]);
    await request.post(`${ORIGIN}/auth/test/expire`);
  } finally {
    await context.setOffline(false);
  }
  await expect.poll(async () => (await (await request.get(`${ORIGIN}/auth/test/notes`)).json()).notes, { timeout: 15_000 }).toEqual(['first', 'second']);
  expect(await (await request.get(`${ORIGIN}/auth/stats`)).json()).toMatchObject({ logins: 1, refreshes: 1, reuseDetected: 0 });
});

test('the same example under vite dev: vite-plugin-pwa serves the worker as a module at /dev-sw.js?dev-sw, and login and API calls work', async ({ page }) => {
  await page.goto(`http://127.0.0.1:${EXAMPLE_DEV_PORT}/`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true', undefined, { timeout: 30_000 });
  expect(await page.evaluate(() => navigator.serviceWorker.getRegistration('/').then((r) => r?.active?.scriptURL))).toBe(`http://127.0.0.1:${EXAMPLE_DEV_PORT}/dev-sw.js?dev-sw`);
  await page.locator('#login').click();
  await expect(page.locator('#state')).toHaveText(/^Logged in/);
  await page.locator('#call').click();
  await expect(page.locator('#out')).toHaveText('{"user":"demo"}');
});

