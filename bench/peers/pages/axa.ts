// @axa-fr/oidc-client in service-worker mode, as its README sets it up: OidcServiceWorker.js
// and OidcTrustedDomains.js at the root, tokens kept in the worker, and requests made with
// fetchWithTokens (the worker puts the access token on requests to trusted domains). It renews on
// a timer before expiry by default; `?renew=demand` sets its AutomaticOnlyWhenFetchExecuted mode.
import { OidcClient, TokenAutomaticRenewMode } from '@axa-fr/oidc-client';
import axios from 'axios';
import { issuerOfThisOrigin, ready, variantSetting } from './shared.js';

const oidc = OidcClient.getOrCreate(() => fetch)({
  client_id: 'axa-oidc-client',
  redirect_uri: `${location.origin}/authentication/callback`,
  silent_redirect_uri: `${location.origin}/authentication/silent-callback`,
  scope: 'openid offline_access',
  // Its discovery URL is the authority + '/.well-known/…': without the issuer's trailing slash.
  authority: (await issuerOfThisOrigin()).replace(/\/$/, ''),
  service_worker_relative_url: '/OidcServiceWorker.js',
  service_worker_only: true,
  // Deviation: its default renews 120 s before expiry, a loop with any shorter token (docs/benchmark.md).
  refresh_time_before_tokens_expiration_in_second: 1,
  ...(variantSetting('renew') === 'demand' ? { token_automatic_renew_mode: TokenAutomaticRenewMode.AutomaticOnlyWhenFetchExecuted } : {}),
});
if (location.pathname === '/authentication/callback') {
  await oidc.loginCallbackAsync();
  history.replaceState(null, '', '/');
} else {
  await oidc.tryKeepExistingSessionAsync();
}
const api = axios.create({ adapter: 'fetch', env: { fetch: oidc.fetchWithTokens(fetch) } });
ready({ api, login: () => oidc.loginAsync('/'), loggedIn: async () => !!oidc.tokens, logout: () => oidc.logoutAsync(`${location.origin}/`) });
