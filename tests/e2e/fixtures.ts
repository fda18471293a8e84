/**
 * Shared end-to-end fixtures: the demo server's counters and fault switches, and tabs
 * (pages of one browser context, so they share one service worker).
 */
import { test as base, expect, type BrowserContext, type Page } from '@playwright/test';
import { WAIT } from './bounds.js';

export interface Stats {
  logins: number;
  refreshesAbandoned: number;
  graceAccepted: number;
  loginsFailed: number;
  refreshes: number;
  refreshesRejected: number;
  reuseDetected: number;
  revocations: number;
  apiCalls: number;
  api401: number;
  /** Writes the demo server answered again from their Idempotency-Key instead of applying them twice. */
  writesDeduplicated: number;
  /** Refresh requests that reached the server, counted before its simulated latency. */
  refreshesReceived: number;
  /** `use_dpop_nonce` challenges the API answered (with the `requireDpopNonce` quirk). */
  dpopNonceChallenges: number;
  /** Refresh grants by the API asked for (`audience`/`resource`; `default` for none). */
  grantsByResource: Record<string, number>;
  /** API calls refused because the token was issued for another API. */
  wrongAudience: number;
}

export interface ServerControl {
  stats(): Promise<Stats>;
  reset(): Promise<void>;
  setFault(refresh: 'none' | '503' | 'garbage' | 'hang' | 'reset'): Promise<void>;
  setAccessTtl(seconds: number): Promise<void>;
  setRefreshDelay(ms: number): Promise<void>;
  /** How the server treats rotation: a grace period (ms), and whether it rotates for a client that went away. */
  setRotation(options: { graceMs: number; rotateWhenClientGone: boolean }): Promise<void>;
  publishWorkerVersion(tag: string): Promise<void>;
  publishPwaVersion(version: '1' | '2'): Promise<void>;
  revokeAll(): Promise<void>;
  expireAccessTokens(): Promise<void>;
  isRefreshTokenActive(refreshToken: string): Promise<boolean>;
  /** True: the server drops every connection but the test hooks' and the stats' (a browser sees it as offline). */
  setNetworkDown(down: boolean): Promise<void>;
  /** What `POST /api/notes` received, in arrival order. */
  notes(): Promise<Array<{ n: number; text: string; user: string; tab: string | null; idempotencyKey: string | null }>>;
  /** Any other `POST /auth/test/config` setting (server/app.ts); every test starts from the defaults. */
  configure(settings: Record<string, unknown>): Promise<void>;
  /** Quirks of real servers and proxies (server/app.ts `setQuirks`); every test starts without any. */
  setQuirks(quirks: Partial<ServerQuirks>): Promise<void>;
}

export interface ServerQuirks {
  /** The API asks for DPoP nonces (`use_dpop_nonce`). */
  requireDpopNonce: boolean;
  ignoreDpop: boolean;
  omitExpiresIn: boolean;
  jwtAccessTokens: boolean;
  jwtClockOffsetMs: number;
  accessTokenSuffix: string;
  retryAfterSeconds: number;
  /** The token endpoint ignores `audience`/`resource` and issues its default token. */
  ignoreAudience: boolean;
}

const NO_QUIRKS: ServerQuirks = { ignoreAudience: false, requireDpopNonce: false, ignoreDpop: false, omitExpiresIn: false, jwtAccessTokens: false, jwtClockOffsetMs: 0, accessTokenSuffix: '', retryAfterSeconds: 0 };

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
      setRefreshDelay: async (ms) => void (await post('/auth/test/config', { refreshDelayMs: ms })),
      setRotation: async ({ graceMs, rotateWhenClientGone }) =>
        void (await post('/auth/test/config', { rotationGraceMs: graceMs, rotateWhenClientGone })),
      publishWorkerVersion: async (tag) => void (await post('/auth/test/config', { workerVersion: tag })),
      publishPwaVersion: async (version) => void (await post('/auth/test/config', { pwaVersion: version })),
      revokeAll: async () => void (await post('/auth/test/revoke-all')),
      expireAccessTokens: async () => void (await post('/auth/test/expire-access-tokens')),
      isRefreshTokenActive: async (refreshToken) => (await post('/auth/test/refresh-token-active', { refreshToken })).active,
      setQuirks: async (quirks) => void (await post('/auth/test/config', { quirks })),
      configure: async (settings) => void (await post('/auth/test/config', settings)),
      setNetworkDown: async (down) => void (await post('/auth/test/network', { down })),
      notes: async () => (await (await request.get('/auth/demo/notes')).json()).notes,
    };
    await control.setFault('none');
    await control.setNetworkDown(false);
    await post('/auth/test/config', {
      accessTtlSeconds: 30,
      refreshDelayMs: 50,
      workerVersion: '',
      pwaVersion: '1',
      rotationGraceMs: 0,
      rotateWhenClientGone: false,
      dpopMaxAgeSeconds: 60,
      loseWriteAnswers: 0,
      refreshAnswerDelayMs: 0,
      stepUpMaxAgeSeconds: 60,
      sessionLimits: {},
      quirks: NO_QUIRKS,
    });
    await control.reset();
    await use(control);
    await control.setFault('none');
    await control.setNetworkDown(false);
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

export { stopWorkers } from '../../scripts/service-workers.mjs';

/**
 * Reloads `page` as Shift+Reload does (no worker controls the new document) and waits until the
 * demo started or failed; returns the main frame's navigations meanwhile (2 when the page reloaded itself once more).
 */
export async function hardReload(page: Page): Promise<string[]> {
  const navigations: string[] = [];
  page.on('framenavigated', (frame) => frame === page.mainFrame() && navigations.push(frame.url()));
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Page.reload', { ignoreCache: true });
  await page.waitForFunction(() => document.body.dataset.ready === 'true' || document.body.dataset.ready === 'error');
  return navigations;
}

/** Sends a raw protocol message to the page's active worker and returns the reply. */
export async function rawMessage(page: Page, message: unknown): Promise<any> {
  return page.evaluate(
    async ({ data, timeoutMs }) => {
      const registration = await navigator.serviceWorker.ready;
      return new Promise((resolve, reject) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = (event) => resolve(event.data);
        setTimeout(() => reject(new Error(`no reply within ${timeoutMs} ms`)), timeoutMs);
        registration.active!.postMessage(data, [channel.port2]);
      });
    },
    { data: message, timeoutMs: WAIT.message },
  );
}

/**
 * Fires `count` parallel calls in every tab at the same moment: each tab waits for a
 * BroadcastChannel signal that a helper tab sends once all are armed.
 * `apiPath` picks the axios instance: `demo` (the broker page) or `recipe`.
 */
export async function fireInAllTabsAtOnce(
  tabs: Page[],
  count: number,
  which: 'demo' | 'recipe' | 'example' = 'demo',
  path = '/api/data',
): Promise<Array<{ ok: number; errors: string[] }>> {
  const armed = tabs.map((tab) =>
    tab.evaluate(
      ({ n, which, path }) =>
        new Promise<{ ok: number; errors: string[] }>((resolve) => {
          const channel = new BroadcastChannel('e2e-go');
          (window as any).__armed = true;
          channel.onmessage = async () => {
            channel.close();
            const api = which === 'demo' ? window.demo.api : which === 'recipe' ? window.recipe.api : (window as any).example.api;
            const results = await Promise.allSettled(Array.from({ length: n }, () => api.get(path)));
            const errors = results.flatMap((r) => {
              if (r.status === 'fulfilled') return [];
              const reason = r.reason as { code?: string; response?: { status: number }; message?: string };
              return [reason.response ? `HTTP ${reason.response.status}` : `${reason.code ?? 'error'}: ${reason.message}`];
            });
            resolve({ ok: results.length - errors.length, errors });
          };
        }),
      { n: count, which, path },
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

/**
 * The broker's stored session, read inside the service worker (never through a page).
 * `scriptPath`: the worker's script path, when not the demo's `…/sw.js`.
 */
export async function readWorkerSession(context: BrowserContext, database = 'sw-token-broker:demo', scriptPath?: string): Promise<any> {
  const isTheWorker = (url: string) => (scriptPath ? new URL(url).pathname === scriptPath : url.endsWith('/sw.js'));
  const worker = context.serviceWorkers().find((w) => isTheWorker(w.url())) ?? (await context.waitForEvent('serviceworker'));
  return worker.evaluate(
    (name) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open(name);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('kv')) return resolve(undefined);
          const get = db.transaction('kv').objectStore('kv').get('session');
          get.onsuccess = () => resolve(get.result);
          get.onerror = () => reject(get.error);
        };
      }),
    database,
  );
}

/** What the foreign origin recorder received. */
export async function foreignRecords(): Promise<Array<{ method: string; url: string; headers: Record<string, string>; body: string }>> {
  const response = await fetch(`http://127.0.0.1:${process.env.FOREIGN_PORT ?? 5302}/__records`);
  return response.json();
}

export async function resetForeignRecords(): Promise<void> {
  await fetch(`http://127.0.0.1:${process.env.FOREIGN_PORT ?? 5302}/__reset`);
}

export const FOREIGN_ORIGIN = `http://127.0.0.1:${process.env.FOREIGN_PORT ?? 5302}`;

/** A V8 heap snapshot of the page, as one string, through CDP. */
export async function heapSnapshot(page: Page): Promise<string> {
  const cdp = await page.context().newCDPSession(page);
  const chunks: string[] = [];
  cdp.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => chunks.push(chunk));
  await cdp.send('HeapProfiler.enable');
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  await cdp.detach();
  return chunks.join('');
}

/**
 * An init script that records, as strings, everything a page receives: window and
 * service-worker message events, MessagePort messages (the broker's replies), and every
 * XHR and fetch response body (axios responses included).
 */
export const RECORD_EVERYTHING = () => {
  const received: string[] = ((window as any).__received = []);
  const record = (where: string, data: unknown) => {
    let text: string;
    try {
      text = JSON.stringify(data);
    } catch {
      text = String(data);
    }
    received.push(`${where}: ${text}`);
  };
  window.addEventListener('message', (event) => record('window message', event.data));
  navigator.serviceWorker?.addEventListener('message', (event) => record('worker message', event.data));
  const onmessage = Object.getOwnPropertyDescriptor(MessagePort.prototype, 'onmessage')!;
  Object.defineProperty(MessagePort.prototype, 'onmessage', {
    configurable: true,
    get() {
      return onmessage.get!.call(this);
    },
    set(handler) {
      onmessage.set!.call(
        this,
        handler &&
          function (this: MessagePort, event: MessageEvent) {
            record('port message', event.data);
            return handler.call(this, event);
          },
      );
    },
  });
  const open = XMLHttpRequest.prototype.open;
  XMLHttpRequest.prototype.open = function (this: XMLHttpRequest, ...args: any[]) {
    this.addEventListener('load', () => record(`xhr ${args[1]}`, this.responseText));
    return (open as any).apply(this, args);
  } as any;
  const realFetch = window.fetch;
  window.fetch = async (...args: Parameters<typeof fetch>) => {
    const response = await realFetch(...args);
    response
      .clone()
      .text()
      .then((text) => record(`fetch ${String(args[0])}`, text), () => {});
    return response;
  };
};

/**
 * Logs in by redirect through oidc-provider's own login and consent pages, from a page
 * served at `returnPath`. Returns the callback URL the browser visited (it holds the code).
 */
export async function loginThroughProvider(page: Page, returnPath = '/'): Promise<string> {
  const origin = new URL(page.url()).origin;
  let callbackUrl = '';
  page.on('request', (request) => {
    if (new URL(request.url()).pathname.endsWith('/oidc-callback')) callbackUrl = request.url();
  });
  await expect(page.locator('#login')).toHaveText('Log in with the identity provider');
  await page.locator('#login').click();
  await page.waitForURL(/\/oidc\//);
  await page.fill('input[name=login]', 'alice');
  await page.fill('input[name=password]', 'anything');
  await page.locator('button[type=submit]').click();
  const consent = page.locator('button:has-text("Continue")');
  await page.waitForURL((url) => !url.pathname.startsWith('/oidc/') || url.pathname.includes('/interaction/'));
  if (page.url().includes('/interaction/') && (await consent.count())) await consent.click();
  await page.waitForURL(`${origin}${returnPath}`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  return callbackUrl;
}
