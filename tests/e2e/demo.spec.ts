import { expect, fireInAllTabsAtOnce, login, test } from './fixtures.js';

test('three tabs after expiry: the broker page causes one refresh, the recipe page several and reuse detection', async ({ openTab, server }) => {
  await server.setAccessTtl(2);

  const brokerTabs = [await openTab('/'), await openTab('/'), await openTab('/')];
  await login(brokerTabs[0]);
  await brokerTabs[0].waitForTimeout(2300);
  // The refreshed token lives 30 s: on a loaded machine the storm can outlast a 2-second token.
  await server.setAccessTtl(30);
  const brokerResults = await fireInAllTabsAtOnce(brokerTabs, 10, 'demo');
  const withBroker = await server.stats();
  expect(brokerResults).toEqual([0, 1, 2].map(() => ({ ok: 10, errors: [] })));
  expect(withBroker).toMatchObject({ logins: 1, refreshes: 1, reuseDetected: 0 });

  await server.reset();
  // The recipe's tabs collide only when their refreshes overlap: half a second of token
  // endpoint latency, as across a slow network, makes that the norm even on a loaded machine.
  await server.setRefreshDelay(500);
  await server.setAccessTtl(2);
  const recipeTabs = [await openTab('/recipe.html'), await openTab('/recipe.html'), await openTab('/recipe.html')];
  await recipeTabs[0].evaluate(() => window.recipe.login());
  await recipeTabs[0].waitForTimeout(2300);
  const recipeResults = await fireInAllTabsAtOnce(recipeTabs, 10, 'recipe');
  const withRecipe = await server.stats();
  expect(withRecipe.refreshes).toBeGreaterThan(1);
  expect(withRecipe.reuseDetected).toBeGreaterThanOrEqual(1);
  // Reuse detection revoked the family: the recipe's tabs lost requests and the session.
  expect(recipeResults.reduce((sum, r) => sum + r.errors.length, 0)).toBeGreaterThan(0);
  expect(await recipeTabs[1].evaluate(() => localStorage.getItem('recipe.refreshToken'))).toBeNull();
});

test('the demo page shows the session, fires calls from its buttons and shows the server counters', async ({ openTab, server }) => {
  void server;
  const page = await openTab('/');
  await expect(page.locator('#session-state')).toHaveText('Logged out');
  await page.locator('#login').click();
  await expect(page.locator('#session-state')).toHaveText('Logged in');
  await expect(page.locator('#token-expiry')).toHaveText(/^\d+\.\d s$/);
  await page.locator('#fire').click();
  await expect(page.locator('#log')).toContainText('10 API calls: 10 ok, 0 failed');
  await expect(page.locator('#count-apiCalls')).toHaveText('10');
  await expect(page.locator('#count-logins')).toHaveText('1');
  await page.locator('#logout').click();
  await expect(page.locator('#session-state')).toHaveText('Logged out');
});

test('"Open another tab" opens a tab with its own name (README step 1): it does not copy the opener\'s sessionStorage', async ({ openTab, context, server }) => {
  void server;
  const first = await openTab('/');
  await expect(first.locator('#tab-name')).toHaveText(/\S/);
  const opened = context.waitForEvent('page');
  await first.locator('#open-tab').click();
  const second = await opened;
  await expect(second.locator('#tab-name')).toHaveText(/\S/);
  expect(await second.locator('#tab-name').textContent()).not.toBe(await first.locator('#tab-name').textContent());
});

test('"Expire the access token at the server" shows the 401 path: the broker answers the 401s of three tabs with one refresh, the recipe with several', async ({ openTab, server }) => {
  const brokerTabs = [await openTab('/'), await openTab('/'), await openTab('/')];
  await brokerTabs[0].locator('#login').click();
  await expect(brokerTabs[0].locator('#session-state')).toHaveText('Logged in');
  // Every tab still thinks its token is good for 30 s: the server says otherwise.
  await brokerTabs[1].locator('#expire').click();
  await expect(brokerTabs[1].locator('#log')).toContainText('The server now rejects every access token');
  const brokerResults = await fireInAllTabsAtOnce(brokerTabs, 10, 'demo');
  expect(brokerResults).toEqual([0, 1, 2].map(() => ({ ok: 10, errors: [] })));
  const withBroker = await server.stats();
  expect(withBroker).toMatchObject({ logins: 1, refreshes: 1, reuseDetected: 0 });
  expect(withBroker.api401).toBeGreaterThan(0);
  await expect(brokerTabs[0].locator('#count-api401')).toHaveText(String(withBroker.api401));

  await server.reset();
  await server.setRefreshDelay(500);
  const recipeTabs = [await openTab('/recipe.html'), await openTab('/recipe.html'), await openTab('/recipe.html')];
  await recipeTabs[0].evaluate(() => window.recipe.login());
  await recipeTabs[0].locator('#expire').click();
  await fireInAllTabsAtOnce(recipeTabs, 10, 'recipe');
  const withRecipe = await server.stats();
  expect(withRecipe.api401).toBeGreaterThan(0);
  expect(withRecipe.refreshes).toBeGreaterThan(1);
});

test('"Call an API that needs a recent login" shows a step-up (RFC 9470): a typed error, no refresh; after a new login it answers', async ({ openTab, server }) => {
  const page = await openTab('/');
  await page.locator('#login').click();
  await expect(page.locator('#session-state')).toHaveText('Logged in');
  await page.locator('#step-up').click();
  await expect(page.locator('#log')).toContainText('The recent-login API answered');
  await server.configure({ stepUpMaxAgeSeconds: 3 });
  try {
    await page.waitForTimeout(4100);
    await server.reset();
    await page.locator('#step-up').click();
    await expect(page.locator('#log')).toContainText('Step-up required (max_age 3): no refresh was made');
    // One call, answered with the challenge, and no refresh for it.
    expect(await server.stats()).toMatchObject({ refreshes: 0, apiCalls: 1 });
    // A new login (the mock server's password form) is a recent one: the API answers.
    await page.locator('#login').click();
    await expect(page.locator('#log')).toContainText('Logged in');
    await page.locator('#step-up').click();
    await expect(page.locator('#log li').first()).toContainText('The recent-login API answered');
  } finally {
    await server.configure({ stepUpMaxAgeSeconds: 60 });
  }
  // The recipe page has no such button (its controls are its own).
  const recipe = await openTab('/recipe.html');
  await expect(recipe.locator('#step-up')).toBeHidden();
});
