/** What the framework examples' tests share: opening tabs of an example, and counting what a second client would double. */
import type { BrowserContext, Page } from '@playwright/test';

/**
 * Counts what a second client would double: registrations, and broker clients (each one
 * calls `startMessages()` once, in its constructor; workbox-window never does).
 */
export async function countRegistrations(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const counts = { registrations: 0, clients: 0 };
    Object.assign(window, { __counts: counts });
    const { register, startMessages } = ServiceWorkerContainer.prototype;
    ServiceWorkerContainer.prototype.register = function (...args: Parameters<typeof register>) {
      counts.registrations++;
      return register.apply(this, args);
    };
    ServiceWorkerContainer.prototype.startMessages = function () {
      counts.clients++;
      return startMessages.apply(this);
    };
  });
}

/** Per page: registrations, message listeners, and the interceptors on the app's axios instance. */
export const wiring = (tab: Page) =>
  tab.evaluate(() => {
    const { api } = (window as any).example;
    const live = (manager: { handlers: unknown[] }) => manager.handlers.filter(Boolean).length;
    return { ...(window as any).__counts, request: live(api.interceptors.request), response: live(api.interceptors.response) };
  });

export async function openTabs(context: BrowserContext, origin: string, count: number, path = '/'): Promise<Page[]> {
  const tabs = [];
  for (let i = 0; i < count; i++) {
    const tab = await context.newPage();
    await tab.goto(`${origin}${path}`);
    await tab.waitForFunction(() => document.body.dataset.ready === 'true', undefined, { timeout: 30_000 });
    tabs.push(tab);
  }
  return tabs;
}

