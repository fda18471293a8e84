// @ts-check
/**
 * Builds the peer comparison's pages into dist/bench-peers/<library>/: each library's page
 * bundled by Vite as its users' bundlers would (minified), an index.html, and what the
 * library needs served beside it (axa's service worker and trusted-domains file; the broker's
 * OpenID fixture page and worker, from `npm run build:test`).
 */
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';

export const PEER_ROOT = 'dist/bench-peers';
const PAGES = { 'auth0-spa-js': 'auth0.ts', 'oidc-client-ts': 'oidc-client-ts.ts', 'axa-oidc-client': 'axa.ts', 'keycloak-js': 'keycloak.ts', 'supabase-auth-js': 'supabase.ts', 'okta-auth-js': 'okta.ts', 'msal-browser': 'msal.ts' };

/** @param {string} title @param {string} script @param {boolean} module @param {string} [before] a classic script to load first */
const html = (title, script, module, before) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body>${before ? `<script src="${before}"></script>` : ''}<script${module ? ' type="module"' : ''} src="${script}"></script></body></html>\n`;

/**
 * Bundles one page entry as its users' bundlers would (minified ES module).
 * @param {string} entry under bench/peers/pages @param {string} outDir @param {string} fileName @param {{ empty: boolean }} options `empty`: clear outDir first
 */
const bundlePage = (entry, outDir, fileName, { empty }) =>
  build({
    configFile: false,
    logLevel: 'silent',
    build: { outDir, emptyOutDir: empty, minify: true, target: 'es2022', lib: { entry: `bench/peers/pages/${entry}`, formats: ['es'], fileName: () => fileName } },
  });

/**
 * @param {{ idpOrigin: string, origins: Record<string, string> }} where the provider, and each library's origin (axa's trusted domains name them)
 */
export async function buildPeerPages({ idpOrigin, origins }) {
  rmSync(PEER_ROOT, { recursive: true, force: true });
  for (const [peer, entry] of Object.entries(PAGES)) {
    const outDir = join(PEER_ROOT, peer);
    await bundlePage(entry, outDir, 'main.js', { empty: true });
    writeFileSync(join(outDir, 'index.html'), html(peer, '/main.js', true));
  }
  const axa = join(PEER_ROOT, 'axa-oidc-client');
  copyFileSync('node_modules/@axa-fr/oidc-client-service-worker/dist/OidcServiceWorker.js', join(axa, 'OidcServiceWorker.js'));
  // Its trusted domains: the provider, and the page's own API, by path (a string is a prefix to
  // axa). The whole page origin would make its worker hold the tabs' navigations until the token
  // is valid, and answer them 401 after 5 s when renewal is on demand (a tab could not open).
  writeFileSync(join(axa, 'OidcTrustedDomains.js'), `const trustedDomains = { default: ${JSON.stringify([idpOrigin, `${origins['axa-oidc-client']}/api/`])} };\n`);
  // keycloak-js's silent check-sso: the provider's answer comes back in a hidden iframe, which hands its URL to the page.
  writeFileSync(join(PEER_ROOT, 'keycloak-js', 'silent-check-sso.html'), '<!doctype html><html><body><script>parent.postMessage(location.href, location.origin);</script></body></html>\n');
  // msal-browser 5's silent iframe is answered to a page of its redirect bridge, as its docs set it up.
  const msal = join(PEER_ROOT, 'msal-browser');
  await bundlePage('msal-redirect.ts', msal, 'redirect.js', { empty: false });
  writeFileSync(join(msal, 'redirect.html'), html('msal-browser redirect bridge', '/redirect.js', true));
  const broker = join(PEER_ROOT, 'broker');
  mkdirSync(broker, { recursive: true });
  for (const file of ['oidc-page.js', 'oidc-sw.js']) {
    if (!existsSync(join('dist/idp', file))) throw new Error(`dist/idp/${file} is missing: run npm run build:test first`);
    copyFileSync(join('dist/idp', file), join(broker, file));
  }
  writeFileSync(join(broker, 'index.html'), html('broker', '/oidc-page.js', false, '/idp-config.js'));
}
