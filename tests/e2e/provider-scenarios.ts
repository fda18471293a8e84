/**
 * The scenarios every third-party OpenID provider suite runs alike (Django OAuth Toolkit,
 * Glewlwyd): written once here, each suite gives its provider's login, counters and
 * witness of a spent refresh token. What a provider does differently (DOT's 403s,
 * Glewlwyd's DPoP and delete_token grant) stays in its own spec.
 */
import type { BrowserContext, Page } from '@playwright/test';
import { expect, fireCalls, fireInAllTabsAtOnce, readWorkerSession, stopWorkers, test } from './fixtures.js';

export interface ProviderStats {
  refreshes: number;
  refreshesRejected: number;
  reuseDetected: number;
}

export interface ProviderUnderTest<Stats extends ProviderStats> {
  /** The fixture's origin: the provider serves the fixture page and worker (tests/e2e/idp/oidc-page.ts, oidc-sw.ts). */
  origin: string;
  /** Logs in by redirect through the provider's own pages, back to `scope`. */
  login(page: Page, scope?: string): Promise<void>;
  /** The provider's counters, and their reset. */
  stats(): Promise<Stats>;
  reset(): Promise<unknown>;
  expireAccessTokens(): Promise<unknown>;
  /** Whether the provider still accepts `refreshToken` (false once rotation spent it). */
  isRefreshTokenLive(refreshToken: string): Promise<boolean>;
  /** What else the provider's counters must show after the storm. */
  afterStorm?(stats: Stats): void;
}

/** The broker's stored session, read inside the worker of `scope` (never through a page). */
export const workerSession = (context: BrowserContext, scope = '/'): Promise<{ refreshToken: string; accessToken: string } | undefined> =>
  readWorkerSession(context, `sw-token-broker:idp-oidc:${scope}`, `${scope}oidc-sw.js`);

/** Registers the shared scenarios in the calling `test.describe`. */
export function providerScenarios<Stats extends ProviderStats>(provider: () => ProviderUnderTest<Stats>): void {
  test(`login by redirect with PKCE through its own pages; an expiry storm in 4 tabs: one refresh grant, rotation, no reuse`, async ({ openTab, context }) => {
    const idp = provider();
    const first = await openTab(`${idp.origin}/`);
    await idp.login(first);
    const tabs = [first];
    for (let i = 0; i < 3; i++) tabs.push(await openTab(`${idp.origin}/`));
    for (const tab of tabs) expect(await fireCalls(tab, 1)).toEqual({ ok: 1, errors: [] });
    const before = await workerSession(context);
    await idp.expireAccessTokens();
    await idp.reset();
    const results = await fireInAllTabsAtOnce(tabs, 10);
    expect(results).toEqual(tabs.map(() => ({ ok: 10, errors: [] })));
    const stats = await idp.stats();
    expect(stats).toMatchObject({ refreshes: 1, refreshesRejected: 0, reuseDetected: 0 });
    idp.afterStorm?.(stats);
    const after = await workerSession(context);
    expect(after!.refreshToken).not.toBe(before!.refreshToken);
    // Rotation: the refresh token exchanged is refused now.
    expect(await idp.isRefreshTokenLive(before!.refreshToken)).toBe(false);
  });

  test('the browser stops the worker: the session survives, and the next expiry is one refresh', async ({ openTab }) => {
    const idp = provider();
    const page = await openTab(`${idp.origin}/`);
    await idp.login(page);
    await stopWorkers(page);
    expect(await fireCalls(page, 3)).toEqual({ ok: 3, errors: [] });
    await idp.expireAccessTokens();
    await idp.reset();
    await stopWorkers(page);
    expect(await fireCalls(page, 5)).toEqual({ ok: 5, errors: [] });
    expect(await idp.stats()).toMatchObject({ refreshes: 1, reuseDetected: 0 });
  });

  test('sealed mode: the worker signs, refreshes once on the refusal and retries, no token in the page', async ({ openTab }) => {
    const idp = provider();
    const page = await openTab(`${idp.origin}/sealed/`);
    await idp.login(page, '/sealed/');
    await idp.expireAccessTokens();
    await idp.reset();
    expect(await fireCalls(page, 10)).toEqual({ ok: 10, errors: [] });
    expect(await idp.stats()).toMatchObject({ refreshes: 1, reuseDetected: 0 });
    expect(await page.evaluate(() => window.demo.broker.getAccessToken().then(() => 'token', (error) => error.code))).toBe('not-supported');
  });

  test('rule 14: a parameter a page may not set is refused typed before anything reaches the provider, and the page does not navigate', async ({ openTab, context }) => {
    const idp = provider();
    const page = await openTab(`${idp.origin}/`);
    const toProvider: string[] = [];
    context.on('request', (request) => {
      if (new URL(request.url()).origin === idp.origin && !request.url().startsWith(`${idp.origin}/api/`) && new URL(request.url()).searchParams.has('client_id')) toProvider.push(request.url());
    });
    const forbidden: Array<Record<string, string>> = [{ client_id: 'evil' }, { redirect_uri: 'https://evil.example/cb' }, { response_mode: 'form_post' }, { scope: 'openid admin' }];
    for (const authorizationParams of forbidden) {
      const code = await page.evaluate((params) => window.demo.broker.loginWithRedirect({ authorizationParams: params }).then(() => 'navigated', (error: { code?: string }) => error.code), authorizationParams);
      expect(code, JSON.stringify(authorizationParams)).toBe('forbidden-parameter');
    }
    expect(page.url()).toBe(`${idp.origin}/`);
    expect(toProvider).toEqual([]);
  });
}
