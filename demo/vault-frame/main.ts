/** The vault frame: answers the demo app (the demo server's first port) and nobody else. */
import { serveVault } from '../../vault/index.js';

// The app origin comes from the vault's own server (see sw.ts), never from the embedding page.
const configUrl = '/vault-frame/config.js';
await import(/* @vite-ignore */ configUrl);
const { appOrigin } = (self as unknown as { SW_TOKEN_BROKER_VAULT: { appOrigin: string } }).SW_TOKEN_BROKER_VAULT;
// In WebKit the provider's callback reaches this page unanswered; it sends it to the app's vault page.
serveVault({ appOrigins: [appOrigin], scriptUrl: '/vault-frame/sw.js', scope: '/vault-frame/', callbackReturnUrl: `${appOrigin}/vault/` });
