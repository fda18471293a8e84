/**
 * The React and Vue examples (examples/react-pwa, examples/vue-pwa), built from the packed
 * tarball like examples/vite-pwa: what a user writes is the provider (or plugin) and
 * `useSession()`. Two tabs: one login, one refresh after expiry for requests in both, one
 * registration and one interceptor per page, each sign-out seen once, and a sign-out in one
 * tab clears the other's cached data. The React example under `vite` dev checks StrictMode,
 * which mounts, unmounts and mounts again only in React's development build.
 */
import { REACT_EXAMPLE_DEV_PORT, REACT_EXAMPLE_PORT, SVELTE_EXAMPLE_PORT, VUE_EXAMPLE_PORT } from '../../playwright.config.js';
import { countRegistrations, openTabs, wiring } from './example-tabs.js';
import { expect, fireInAllTabsAtOnce, test } from './fixtures.js';

for (const [framework, port] of [
  ['React', REACT_EXAMPLE_PORT],
  ['Vue', VUE_EXAMPLE_PORT],
] as const) {
  const origin = `http://127.0.0.1:${port}`;

  test(`the ${framework} example, from the packed package: two tabs, one refresh, one client and interceptor per page, each sign-out once, cached data cleared`, async ({ context, request }) => {
    await request.post(`${origin}/auth/test/reset`);
    await countRegistrations(context);
    const tabs = await openTabs(context, origin, 2);
    for (const tab of tabs) await expect(tab.locator('#state')).toHaveText('Logged out');

    await tabs[0].locator('#login').click();
    // The claims come from the login's id_token, in both tabs, without a /me call.
    for (const tab of tabs) await expect(tab.locator('#state')).toHaveText('Logged in as Demo User (token 1)');
    for (const tab of tabs) {
      await tab.locator('#call').click();
      await expect(tab.locator('#out')).toHaveText('{"user":"demo"}');
    }

    await request.post(`${origin}/auth/test/expire`);
    const results = await fireInAllTabsAtOnce(tabs, 10, 'example', '/me');
    for (const result of results) expect(result).toEqual({ ok: 10, errors: [] });
    expect(await (await request.get(`${origin}/auth/stats`)).json()).toMatchObject({ logins: 1, refreshes: 1, reuseDetected: 0 });
    for (const tab of tabs) await expect(tab.locator('#state')).toHaveText('Logged in as Demo User (token 2)');
    for (const tab of tabs) expect(await wiring(tab)).toEqual({ registrations: 1, clients: 1, request: 1, response: 1 });

    // A sign-out in the second tab: the first forgets what it showed, and each tab hears of it once.
    await tabs[1].locator('#logout').click();
    for (const tab of tabs) await expect(tab.locator('#state')).toHaveText('Logged out');
    for (const tab of tabs) await expect(tab.locator('#out')).toHaveText('');
    for (const tab of tabs) expect(await tab.evaluate(() => (window as any).example.signedOut)).toEqual(['logout']);
    if (framework === 'React') {
      // The mounted query is still observed (disabled now), but holds nothing of the previous user.
      for (const tab of tabs) expect(await tab.evaluate(() => (window as any).example.queryClient.getQueryData(['me']) ?? null)).toBeNull();
    }
  });
}

test('the React example under vite dev, where StrictMode mounts twice: one registration, one interceptor, each event once', async ({ context }) => {
  await countRegistrations(context);
  const [tab] = await openTabs(context, `http://127.0.0.1:${REACT_EXAMPLE_DEV_PORT}`, 1);
  await tab.locator('#login').click();
  await expect(tab.locator('#state')).toHaveText(/^Logged in as Demo User/);
  await tab.locator('#call').click();
  await expect(tab.locator('#out')).toHaveText('{"user":"demo"}');
  expect(await wiring(tab)).toEqual({ registrations: 1, clients: 1, request: 1, response: 1 });
  await tab.locator('#logout').click();
  await expect(tab.locator('#state')).toHaveText('Logged out');
  await expect(tab.locator('#out')).toHaveText('');
  expect(await tab.evaluate(() => (window as any).example.signedOut)).toEqual(['logout']);
});

test.describe('the Svelte example (examples/svelte-pwa), from the packed package', () => {
  const origin = `http://127.0.0.1:${SVELTE_EXAMPLE_PORT}`;

  test('the store changes with the session only: one /me per tab at login and none at a refresh; 10 parallel requests per tab after expiry, one refresh; logout reaches the other tab', async ({ context, request }) => {
    await request.post(`${origin}/auth/test/reset`);
    await countRegistrations(context);
    const tabs = await openTabs(context, origin, 2);
    for (const tab of tabs) await expect(tab.locator('#state')).toHaveText('Logged out');
    await tabs[0].locator('#login').click();
    for (const tab of tabs) await expect(tab.locator('#state')).toHaveText('Logged in as Demo User');
    // Each tab asks who is logged in once (its $effect on the session), nothing more.
    for (const tab of tabs) await expect(tab.locator('#profile')).toHaveText('demo');
    const stats = async () => (await request.get(`${origin}/auth/stats`)).json();
    expect(await stats()).toMatchObject({ logins: 1, apiCalls: 2, api401: 0 });

    await request.post(`${origin}/auth/test/expire`);
    const results = await fireInAllTabsAtOnce(tabs, 10, 'example', '/me');
    for (const result of results) expect(result).toEqual({ ok: 10, errors: [] });
    // A refresh is not a new session: no tab asks for /me again (the store did not change).
    await tabs[0].waitForTimeout(1_000);
    const after = await stats();
    expect(after).toMatchObject({ logins: 1, refreshes: 1, reuseDetected: 0 });
    expect(after.apiCalls - after.api401).toBe(2 + 20);
    for (const tab of tabs) expect(await wiring(tab)).toEqual({ registrations: 1, clients: 1, request: 1, response: 1 });

    await tabs[1].locator('#logout').click();
    for (const tab of tabs) await expect(tab.locator('#state')).toHaveText('Logged out');
    for (const tab of tabs) await expect(tab.locator('#profile')).toHaveText('');
    for (const tab of tabs) expect(await tab.evaluate(() => (window as any).example.signedOut)).toEqual(['logout']);
  });

  test('a failed registration is the state error on the page, not a blank page or an uncaught error', async ({ browser }) => {
    const context = await browser.newContext({ serviceWorkers: 'block' });
    try {
      const tab = await context.newPage();
      const uncaught: string[] = [];
      tab.on('pageerror', (error) => uncaught.push(error.message));
      await tab.goto(`${origin}/`);
      await expect(tab.locator('#state')).toHaveText(/^The token broker could not start: .+/);
      expect(await tab.evaluate(() => document.body.dataset.ready)).toBe('true');
      expect(uncaught).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
