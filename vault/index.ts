/**
 * sw-token-broker/vault: vault mode, where the session lives on another origin (the vault)
 * that the app's page script cannot reach. The app imports `openVault` and
 * `createVaultFetch`; the vault frame's page imports `serveVault`. A separate entry, so apps
 * that do not use it load none of it.
 *
 * @example
 * import { openVault, createVaultFetch } from 'sw-token-broker/vault';
 * const vault = await openVault('https://vault.example.com/vault/');
 * const api = axios.create({ adapter: 'fetch', env: { fetch: createVaultFetch(vault) } });
 */
export { VaultClient, createVaultFetch, openVault, type VaultOptions } from './vault-client.js';
export { serveVault, type VaultFrameOptions } from './vault-frame.js';
export { VaultUnavailableError, type VaultRequest, type VaultResponse } from '../protocol/index.js';
