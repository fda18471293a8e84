/**
 * Shared end-to-end fixtures: the demo server's counters and fault switches, and tabs
 * (pages of one browser context, so they share one service worker).
 */
import { test as base, expect, type BrowserContext, type Page } from '@playwright/test';

export interface Stats {
  logins: number;
  loginsFailed: number;
  refreshes: number;
  refreshesRejected: number;
  reuseDetected: number;
  revocations: number;
  apiCalls: number;
  api401: number;
}

export interface ServerControl {
  stats(): Promise<Stats>;
  reset(): Promise<void>;
  setFault(refresh: 'none' | '503' | 'garbage' | 'hang' | 'reset'): Promise<void>;
  setAccessTtl(seconds: number): Promise<void>;
  revokeAll(): Promise<void>;
  expireAccessTokens(): Promise<void>;
  isRefreshTokenActive(refreshToken: string): Promise<boolean>;
}

interface Fixtures {
  server: ServerControl;
  /** Opens a tab on `path` and waits until its page script is ready. */
  openTab: (path?: string, context?: BrowserContext) => Promise<Page>;
}

export const test = base.extend<Fixtures>({
  server: async ({ request }, use) => {
    const post = async (path: string, data?: unknown) => {
      const response = await request.post(path, { data });
      expect(response.ok(), `${path} answered ${response.status()}`).toBe(true);
      return response.json();
    };
    const control: ServerControl = {
      stats: async () => (await request.get('/auth/stats')).json(),
      reset: async () => void (await post('/auth/stats/reset')),
      setFault: async (refresh) => void (await post('/auth/test/fault', { refresh })),
      setAccessTtl: async (seconds) => void (await post('/auth/test/config', { accessTtlSeconds: seconds })),
      revokeAll: async () => void (await post('/auth/test/revoke-all')),
      expireAccessTokens: async () => void (await post('/auth/test/expire-access-tokens')),
      isRefreshTokenActive: async (refreshToken) => (await post('/auth/test/refresh-token-active', { refreshToken })).active,
    };
    await control.setFault('none');
    await control.setAccessTtl(30);
    await control.reset();
    await use(control);
    await control.setFault('none');
  },
  openTab: async ({ context }, use) => {
    await use(async (path = '/', inContext = context) => {
      const page = await inContext.newPage();
      page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
      await page.goto(path);
      await page.waitForFunction(() => document.body.dataset.ready === 'true' || document.body.dataset.ready === 'error');
      expect(await page.evaluate(() => document.body.dataset.ready), 'the page script started').toBe('true');
      return page;
    });
  },
});

export { expect };

/** Logs in through `window.demo.broker` in `page`. */
export async function login(page: Page): Promise<void> {
  await page.evaluate(() => window.demo.broker.login({ username: 'demo', password: 'demo' }));
}

/** Fires `count` parallel GET /api/data through the page's axios instance; returns how they ended. */
export async function fireCalls(page: Page, count: number): Promise<{ ok: number; errors: string[] }> {
  return page.evaluate(async (n) => {
    const results = await Promise.allSettled(Array.from({ length: n }, () => window.demo.api.get('/api/data')));
    const errors = results.flatMap((r) => {
      if (r.status === 'fulfilled') return [];
      const reason = r.reason as { code?: string; response?: { status: number }; message?: string };
      return [reason.response ? `HTTP ${reason.response.status}` : `${reason.code ?? 'error'}: ${reason.message}`];
    });
    return { ok: results.length - errors.length, errors };
  }, count);
}

/** Stops every service worker of the page's browser through CDP and waits until they are stopped. */
export async function stopWorkers(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  const running = new Map<string, string>();
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
    for (const version of versions) running.set(version.versionId, version.runningStatus);
  });
  await cdp.send('ServiceWorker.enable');
  await cdp.send('ServiceWorker.stopAllWorkers');
  await expect.poll(() => running.size > 0 && [...running.values()].every((status) => status === 'stopped'), { timeout: 5000 }).toBe(true);
  await cdp.detach();
}

/** Sends a raw protocol message to the page's active worker and returns the reply. */
export async function rawMessage(page: Page, message: unknown): Promise<any> {
  return page.evaluate(async (data) => {
    const registration = await navigator.serviceWorker.ready;
    return new Promise((resolve, reject) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = (event) => resolve(event.data);
      setTimeout(() => reject(new Error('no reply within 5 s')), 5000);
      registration.active!.postMessage(data, [channel.port2]);
    });
  }, message);
}

/**
 * Fires `count` parallel calls in every tab at the same moment: each tab waits for a
 * BroadcastChannel signal that a helper tab sends once all are armed.
 * `apiPath` picks the axios instance: `demo` (the broker page) or `recipe`.
 */
export async function fireInAllTabsAtOnce(tabs: Page[], count: number, which: 'demo' | 'recipe' = 'demo'): Promise<Array<{ ok: number; errors: string[] }>> {
  const armed = tabs.map((tab) =>
    tab.evaluate(
      ({ n, which }) =>
        new Promise<{ ok: number; errors: string[] }>((resolve) => {
          const channel = new BroadcastChannel('e2e-go');
          (window as any).__armed = true;
          channel.onmessage = async () => {
            channel.close();
            const api = which === 'demo' ? window.demo.api : window.recipe.api;
            const results = await Promise.allSettled(Array.from({ length: n }, () => api.get('/api/data')));
            const errors = results.flatMap((r) => {
              if (r.status === 'fulfilled') return [];
              const reason = r.reason as { code?: string; response?: { status: number }; message?: string };
              return [reason.response ? `HTTP ${reason.response.status}` : `${reason.code ?? 'error'}: ${reason.message}`];
            });
            resolve({ ok: results.length - errors.length, errors });
          };
        }),
      { n: count, which },
    ),
  );
  for (const tab of tabs) await tab.waitForFunction(() => (window as any).__armed === true);
  const starter = await tabs[0].context().newPage();
  await starter.goto(new URL('/auth/config', tabs[0].url()).href);
  await starter.evaluate(() => new BroadcastChannel('e2e-go').postMessage('go'));
  const results = await Promise.all(armed);
  await starter.close();
  for (const tab of tabs) await tab.evaluate(() => ((window as any).__armed = false));
  return results;
}
