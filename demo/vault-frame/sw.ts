/// <reference lib="webworker" />
/**
 * Vault mode's worker, on the vault's origin (the demo server's second port). Sealed mode:
 * it adds the token to the app's API requests, which the vault frame makes for the app's
 * pages; nothing in the app's origin ever holds a token.
 */
import { installTokenBroker } from '../../sw/index.js';
import { vaultBrokerConfig, type VaultConfig } from './vault-config.js';

declare const self: ServiceWorkerGlobalScope & { SW_TOKEN_BROKER_VAULT?: VaultConfig };

// The vault's fixed configuration, from its own server: which app it serves and its
// identity provider (a real vault writes these into its code; the demo's depend on how the
// server was started).
importScripts('/vault-frame/config.js');
installTokenBroker(vaultBrokerConfig(self.location.origin, self.SW_TOKEN_BROKER_VAULT ?? { appOrigin: 'http://127.0.0.1', idp: 'mock' }));
