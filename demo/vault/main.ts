/**
 * Vault mode's demo page, on the app's origin (http://127.0.0.1:PORT): the session lives in
 * the vault (http://127.0.0.1:VAULT_PORT), in a hidden frame with its own worker. This page holds
 * no token at all; axios's fetch adapter sends every request through the vault.
 */
import axios from 'axios';
import { createVaultFetch, openVault, type VaultClient } from '../../vault/index.js';
import { renderLayout } from '../layout.js';
import { wireControls } from '../controls.js';
import { $, describe, log, tabName, watchCounters } from '../ui.js';

declare global {
  interface Window {
    vaultDemo: { vault: VaultClient; api: import('axios').AxiosInstance };
  }
}

renderLayout('/vault/');
main().catch((error: unknown) => {
  log('error', `The vault could not start: ${describe(error)}`);
  document.body.dataset.error = (error as { code?: string }).code ?? 'unknown';
  document.body.dataset.ready = 'error';
});

async function main(): Promise<void> {
  $('tab-name').textContent = tabName();
  watchCounters();
  // `?vault=URL` points the page at another vault (to see what a blocked or wrong one does).
  const { vaultOrigin } = (await (await fetch('/auth/config')).json()) as { vaultOrigin: string };
  const vaultUrl = new URLSearchParams(location.search).get('vault') ?? `${vaultOrigin}/vault-frame/`;
  const vault = await openVault(vaultUrl);
  const api = axios.create({ baseURL: `${location.origin}/`, adapter: 'fetch', env: { fetch: createVaultFetch(vault) } });
  window.vaultDemo = { vault, api };
  window.demo = { broker: vault, api };
  document.body.dataset.ready = 'true';
  log('info', `Connected to the vault at ${vault.origin}`);

  wireControls(vault, api, 'demo-fire-vault', ' (in the vault)');
}
