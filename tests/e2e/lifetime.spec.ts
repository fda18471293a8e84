/**
 * The session's known lifetimes (issue 40), against the mock server's session limits (Keycloak's
 * SSO Session Idle and Max, sent as `refresh_expires_in`): every tab hears `session-expiring`
 * before an end nothing moves, then `session-ended`; and the keep-alive keeps an idle app's
 * session past the idle timeout with one grant per period, whatever the tab count.
 */
import type { Page } from '@playwright/test';
import { expect, login, test } from './fixtures.js';

/** In a tab: records the session events it hears in `window.__lifetimeEvents`. */
const recordLifetimeEvents = (page: Page) =>
  page.evaluate(() => {
    const seen: Array<{ event: string; endedBy?: string }> = ((window as any).__lifetimeEvents = []);
    for (const type of ['session-expiring', 'session-ended', 'refreshed'] as const) {
      window.demo.broker.on(type, (event) => void seen.push({ event: type, endedBy: event.details?.endedBy }));
    }
  });
const heard = (page: Page) => page.evaluate(() => (window as any).__lifetimeEvents as Array<{ event: string; endedBy?: string }>);

test('an absolute end: every tab hears session-expiring once, then session-ended (expired); the session is gone in every tab', async ({ openTab, server }) => {
  await server.configure({ sessionLimits: { absoluteSeconds: 14 } });
  const tabs = [await openTab('/'), await openTab('/'), await openTab('/')];
  for (const tab of tabs) await recordLifetimeEvents(tab);
  await login(tabs[0]);
  // The end is known from the first answer; the keep-alive's refresh shows it does not move (an absolute end).
  for (const tab of tabs) {
    await expect.poll(async () => (await heard(tab)).filter((each) => each.event !== 'refreshed'), { timeout: 20_000 }).toEqual([{ event: 'session-expiring' }, { event: 'session-ended', endedBy: 'expired' }]);
  }
  for (const tab of tabs) expect(await tab.evaluate(() => window.demo.broker.status().then((s) => s.loggedIn))).toBe(false);
  expect(await server.stats()).toMatchObject({ reuseDetected: 0 });
});

test('the keep-alive: 4 idle tabs keep the session past the idle timeout, one grant per period, no reuse', async ({ openTab, server }) => {
  await server.configure({ sessionLimits: { idleSeconds: 6 } });
  const tabs = [await openTab('/'), await openTab('/'), await openTab('/'), await openTab('/')];
  for (const tab of tabs) await recordLifetimeEvents(tab);
  await login(tabs[0]);
  await server.reset();
  // No API call for 15 s: two and a half idle timeouts.
  await tabs[0].waitForTimeout(15_000);
  const stats = await server.stats();
  // The keep-alive refreshes a quarter of the idle time before its end: every 4.5 s, however many tabs ask.
  expect(stats.refreshes).toBeGreaterThanOrEqual(2);
  expect(stats.refreshes).toBeLessThanOrEqual(4);
  expect(stats).toMatchObject({ refreshesRejected: 0, reuseDetected: 0 });
  for (const tab of tabs) {
    expect(await tab.evaluate(() => window.demo.broker.status().then((s) => s.loggedIn))).toBe(true);
    expect((await heard(tab)).filter((each) => each.event !== 'refreshed')).toEqual([]);
  }
  expect(await tabs[3].evaluate(() => window.demo.api.get('/api/data').then((r) => r.status))).toBe(200);
});

test('watchToken: two tabs watching get each next token before the old expires, one refresh per token for both', async ({ openTab, server }) => {
  await server.setAccessTtl(3);
  const tabs = [await openTab('/'), await openTab('/')];
  await login(tabs[0]);
  await server.reset();
  for (const tab of tabs) {
    await tab.evaluate(() => {
      const seen: Array<string | null> = ((window as any).__watched = []);
      (window as any).__stopWatching = window.demo.broker.watchToken((token) => void seen.push(token));
    });
  }
  // Tokens live 3 s and are refreshed ahead (at 80% of their life): three or four in 7 s.
  await tabs[0].waitForTimeout(7_000);
  const watched = await Promise.all(tabs.map((tab) => tab.evaluate(() => (window as any).__watched as Array<string | null>)));
  for (const tokens of watched) {
    expect(tokens.length).toBeGreaterThanOrEqual(3);
    expect(new Set(tokens).size).toBe(tokens.length);
  }
  const stats = await server.stats();
  // Each new token was one refresh for both tabs: never more refreshes than tokens one tab saw.
  expect(stats.refreshes).toBeLessThanOrEqual(Math.max(...watched.map((tokens) => tokens.length)));
  expect(stats).toMatchObject({ reuseDetected: 0, refreshesRejected: 0 });
  // The last token a watcher got works at the API, sent by hand as a WebSocket's would be.
  expect(await tabs[1].evaluate(() => fetch('/api/data', { headers: { authorization: `Bearer ${((window as any).__watched as string[]).at(-1)}` } }).then((r) => r.status))).toBe(200);
  // Logging out gives every watcher null; stopping stops it.
  await tabs[0].evaluate(() => window.demo.broker.logout());
  for (const tab of tabs) await expect.poll(() => tab.evaluate(() => ((window as any).__watched as Array<string | null>).at(-1))).toBeNull();
  for (const tab of tabs) await tab.evaluate(() => (window as any).__stopWatching());
});
