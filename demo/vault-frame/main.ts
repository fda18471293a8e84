/** The vault frame: answers the demo app (the demo server's first port) and nobody else. */
import { serveVault } from '../../vault/index.js';
import type { VaultConfig } from './vault-config.js';

// The app origin comes from the vault's own server (see sw.ts), never from the embedding page.
const configUrl = '/vault-frame/config.js';
await import(/* @vite-ignore */ configUrl);
const vault = (self as unknown as { SW_TOKEN_BROKER_VAULT: VaultConfig }).SW_TOKEN_BROKER_VAULT;
serveVault({
  appOrigins: [vault.appOrigin],
  scriptUrl: '/vault-frame/sw.js',
  scope: '/vault-frame/',
  // In WebKit the provider's callback reaches this page unanswered; it sends it to the app's vault page.
  callbackReturnUrl: `${vault.appOrigin}/vault/`,
  // Where no service worker can run, the same broker runs in this frame, still on the vault's origin
  // (`?fallback=off` in the frame's URL leaves it out: the tests show the typed error without it).
  fallback: new URLSearchParams(location.search).get('fallback') === 'off' ? undefined : async () => (await import('./vault-config.js')).vaultBrokerConfig(location.origin, vault),
});
