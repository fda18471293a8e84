// @ts-check
/**
 * `npm run bench`'s peer comparison: the libraries users would pick instead (auth0-spa-js,
 * oidc-client-ts, @axa-fr/oidc-client), each in its own page on its own origin, beside the
 * broker (its OpenID fixture page and worker), all against one oidc-provider in the same run.
 * Storms, steady state (next to plain axios with a fixed token, in the same rounds) and what
 * each page loads for auth.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { peerPorts } from '../../scripts/ports.mjs';
import { median, percentile, round, shuffled } from '../shared.mjs';
import { PEER_ROOT, buildPeerPages } from './build.mjs';
import { PEERS, peerOrigin, startPeerServers } from './server.mjs';
import { loginByRedirect, measurePeerStorms } from './storm.mjs';
import { measureTraits } from './traits.mjs';
import { librariesOf } from './variants.mjs';

/** The versions measured: what package-lock.json resolved. */
const VERSIONS = Object.fromEntries(
  [['auth0-spa-js', '@auth0/auth0-spa-js'], ['oidc-client-ts', 'oidc-client-ts'], ['axa-oidc-client', '@axa-fr/oidc-client'], ['keycloak-js', 'keycloak-js'], ['supabase-auth-js', '@supabase/auth-js'], ['okta-auth-js', '@okta/okta-auth-js'], ['msal-browser', '@azure/msal-browser']].map(([peer, name]) => [
    peer,
    JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')).version,
  ]),
);

/**
 * How each library is set up here, where that differs from how its users configure it, and why.
 * Reported in the JSON and docs/benchmark.md.
 */
export const DEVIATIONS = {
  broker: 'the OpenID test fixture (oidcEndpoint, login by redirect with PKCE, handoff mode) on its own origin; the API allowlist is that origin',
  'auth0-spa-js':
    "domain set to the local provider, whose routes are mapped to Auth0's (/authorize, /oauth/token); it treats a token as expired 60 s early (hard-coded), so it is also run with tokens just past that margin (62 s)",
  'oidc-client-ts':
    'accessTokenExpiringNotificationTimeInSeconds: 1 (default 60): with tokens shorter than the margin its automatic renew runs in a loop in every tab; the request interceptor renews an expired user with signinSilent() and retries a 401 once, as its docs suggest; run with its renewal timer (automaticSilentRenew, its default) and on demand (automaticSilentRenew: false)',
  'axa-oidc-client':
    "refresh_time_before_tokens_expiration_in_second: 1 (default 120): the same loop otherwise; service_worker_only with its OidcServiceWorker.js and a trusted-domains file naming the provider and the path of the page's API (naming the whole page origin made its worker hold a new tab's navigation until the token was valid and answer it 401 after 5 s with renewal on demand: the tab could not open); requests through fetchWithTokens (axios with the fetch adapter); run with its renewal timer (its default) and on demand (token_automatic_renew_mode: AutomaticOnlyWhenFetchExecuted)",
  'okta-auth-js':
    "as its docs set up an SPA (PKCE by redirect, tokens in localStorage, start() for its services, getOrRenewAccessToken() before a request, renewTokens() and one retry on a 401), against a second instance of the provider mounted at /okta, because okta-auth-js strips the issuer's trailing slash and the root instance's has one (auth0-spa-js needs it); its endpoints from discovery (an Okta org's /oauth2/v1 paths are not the provider's); run with its cross-tab services on (syncStorage, which brings its leader election: only the leading tab auto-renews), its default, and off; it treats a token as expired 30 s early (hard-coded off localhost), so it is also run with tokens just past that margin (32 s)",
  'msal-browser':
    "as its docs set up an SPA against a provider that is not Entra ID (protocolMode OIDC, the provider in knownAuthorities, login by redirect, acquireTokenSilent() before each request, forceRefresh and one retry on a 401), with a scope for the API (api:read) and prompt=consent at login (OpenID grants offline_access only with it, and msal asks for offline_access again on every refresh); its provider is a third instance of the oidc-provider, over https with a self-signed loopback certificate, and its page is https too (msal takes only an https authority; the browser ignores certificate errors; page and provider same-site, as in a real https deployment, so the silent iframe gets the provider's session cookie); its cache in localStorage (its docs' setting for a login shared by tabs) and in sessionStorage (its default; each new tab logs in with ssoSilent() in a hidden iframe, answered to a page of msal 5's redirect bridge, broadcastResponseToMainFrame); it treats a token as expired 300 s early (system.tokenRenewalOffsetSeconds, default 300), so with the storm's 2 s tokens (and 120 s refreshed ones) every acquireTokenSilent() refreshes (a tab's concurrent calls share one), and it is also run with tokens just past that margin (302 s); msal asks for offline_access again on every refresh, which oidc-provider refuses to a refresh token from a silent login (it grants offline_access only with prompt=consent), so its instance leaves offline_access out of a refresh request's scope, as Entra ID answers such a refresh",
  'supabase-auth-js':
    "GoTrueClient as supabase-js sets it up in a browser (session in localStorage, autoRefreshToken, getSession() before each request, as supabase-js's fetch does), logging in by password; Supabase's server is not available here, so its /auth/v1 is bench/peers/gotrue.mjs on the page's origin, which follows GoTrue's refresh-token rules (docs/benchmark.md names the files): by default lockless, with reuse interval 10 s (Supabase's default) and 0; and with its deprecated Web Locks lock (lock: navigatorLock)",
  'keycloak-js':
    "oidcProvider (discovery) instead of a Keycloak realm, so checkLoginIframe is off (that iframe is Keycloak's own endpoint); otherwise as its docs set up an SPA: check-sso with a silent check in a hidden iframe (each new tab logs in from the provider's session, prompt=none), tokens in each tab's memory, updateToken(5) before a request, updateToken(-1) and one retry on a 401",
};

/**
 * @param {import('playwright-core').Browser} browser
 * @param {{ tabs: number[], runs: number, requests: number, ttlS: number, refreshedTtlS: number, auth0MarginTtlS: number, steadyRounds: number, steadyRequests: number, only?: string[], steps?: string[] }} settings `steps`: storm, steady, traits (all by default)
 * @param {{ brokerPageGzipBytes: number, brokerWorkerGzipBytes: number }} brokerSizes from the benchmark's own size step
 */
export async function measurePeers(browser, settings, brokerSizes) {
  const ports = peerPorts();
  const idpPort = ports.find((use) => use.variable === 'PEER_IDP_PORT')?.port ?? 0;
  /** @type {Record<string, number>} */
  const sitePorts = Object.fromEntries(PEERS.map((peer) => [peer, ports.find((use) => use.peer === peer)?.port ?? 0]));
  const origins = Object.fromEntries(PEERS.map((peer) => [peer, peerOrigin(peer, sitePorts[peer])]));
  await buildPeerPages({ idpOrigin: `http://127.0.0.1:${idpPort}`, origins });
  const msalIdpPort = ports.find((use) => use.variable === 'PEER_MSAL_IDP_PORT')?.port ?? 0;
  const servers = await startPeerServers({ idpPort, msalIdpPort, ports: /** @type {any} */ (sitePorts), root: PEER_ROOT });
  try {
    const step = (/** @type {string} */ name) => !settings.steps || settings.steps.includes(name);
    const peers = PEERS.filter((peer) => !settings.only || librariesOf(settings.only).includes(peer));
    const storm = step('storm') ? await measurePeerStorms(browser, servers, settings) : [];
    const steady = step('steady') ? await measureSteady(browser, servers, settings) : [];
    const traits = step('traits') ? await measureTraits(servers, peers) : [];
    const sizes = await measureSizes(brokerSizes);
    return { versions: VERSIONS, deviations: DEVIATIONS, settings, storm, steady, traits, sizes };
  } finally {
    await servers.close();
  }
}

/**
 * Sequential requests with a long-lived token, per library and for plain axios (a fixed
 * token, on the oidc-client-ts page), in interleaved rounds.
 * @param {import('playwright-core').Browser} browser
 * @param {Awaited<ReturnType<typeof startPeerServers>>} servers
 * @param {{ steadyRounds: number, steadyRequests: number }} settings
 */
async function measureSteady(browser, servers, { steadyRounds, steadyRequests }) {
  servers.setAccessTtl(3600);
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    /** @type {Record<string, import('playwright-core').Page>} */
    const tabs = {};
    /** A library that cannot log in or answer gets a row with why, never stops the others. @type {Record<string, string>} */
    const errors = {};
    const why = (/** @type {unknown} */ error) => String(/** @type {Error} */ (error)?.message ?? error).split('\n')[0];
    for (const peer of PEERS) {
      try {
        const tab = await context.newPage();
        await tab.goto(`${servers.origin(peer)}/`);
        await tab.waitForFunction(() => document.body.dataset.ready === 'true', undefined, { timeout: 30_000 });
        await loginByRedirect(tab, peer);
        tabs[peer] = tab;
      } catch (error) {
        errors[peer] = why(error);
      }
    }
    const impls = [...PEERS, 'plain'];
    /** @type {Record<string, number[]>} */
    const samples = Object.fromEntries(impls.map((impl) => [impl, []]));
    for (let round = 0; round < steadyRounds; round++) {
      for (const impl of shuffled(impls)) {
        const tab = tabs[impl === 'plain' ? 'oidc-client-ts' : impl];
        if (!tab || errors[impl]) {
          errors[impl] ??= 'its page did not log in';
          continue;
        }
        const times = await tab.evaluate(
          async ({ impl, count }) => {
            const w = /** @type {any} */ (window);
            const api = impl === 'broker' ? w.demo.api : impl === 'plain' ? await w.peer.plain() : w.peer.api;
            await api.get('/api/data');
            const out = [];
            for (let i = 0; i < count; i++) {
              const start = performance.now();
              await api.get('/api/data');
              out.push(performance.now() - start);
            }
            return out;
          },
          { impl, count: steadyRequests },
        ).catch((/** @type {unknown} */ error) => void (errors[impl] = why(error)));
        if (times) samples[impl].push(...times);
      }
    }
    return impls.map((impl) =>
      errors[impl] ? { impl, requests: samples[impl].length, p50Ms: null, p95Ms: null, error: errors[impl] } : { impl, requests: samples[impl].length, p50Ms: round(median(samples[impl]), 1), p95Ms: round(percentile(samples[impl], 95), 1) },
    );
  } finally {
    await context.close();
  }
}

/**
 * What each page loads for auth, minified and gzipped, without axios (the same for all); the
 * worker for the service-worker ones.
 * @param {{ brokerPageGzipBytes: number, brokerWorkerGzipBytes: number }} broker
 */
async function measureSizes(broker) {
  const gzip = (/** @type {string} */ file) => gzipSync(readFileSync(file), { level: 9 }).length;
  /** @type {Array<{ impl: string, pageGzipBytes: number, workerGzipBytes: number | null }>} */
  const rows = [{ impl: 'broker', pageGzipBytes: broker.brokerPageGzipBytes, workerGzipBytes: broker.brokerWorkerGzipBytes }];
  for (const impl of ['auth0-spa-js', 'oidc-client-ts', 'axa-oidc-client', 'keycloak-js', 'okta-auth-js', 'msal-browser', 'supabase-auth-js']) {
    const outDir = join(PEER_ROOT, '.sizes', impl);
    // Everything the library's entry pulls in, in one minified file.
    await build({
      configFile: false,
      logLevel: 'silent',
      build: { outDir, emptyOutDir: true, minify: true, lib: { entry: `bench/peers/sizes/${impl}.js`, formats: ['es'], fileName: () => 'entry.js' }, rolldownOptions: { output: { codeSplitting: false } } },
    });
    const worker = impl === 'axa-oidc-client' ? gzip('node_modules/@axa-fr/oidc-client-service-worker/dist/OidcServiceWorker.js') : null;
    rows.push({ impl, pageGzipBytes: gzip(join(outDir, 'entry.js')), workerGzipBytes: worker });
  }
  return rows;
}
