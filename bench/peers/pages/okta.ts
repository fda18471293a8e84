// okta-auth-js as its docs set up an SPA: PKCE login by redirect, tokens in localStorage (its
// default, shared by the tabs), `start()` for its services, and before a request
// `getOrRenewAccessToken()` (the refresh grant when the token has expired, 30 s early, its
// hard-coded margin off localhost); a 401 renews and retries once. By default its cross-tab
// services run (syncStorage, which brings leader election: only the leading tab auto-renews);
// `?services=off` turns syncStorage off (each tab auto-renews on its own).
import { OktaAuth } from '@okta/okta-auth-js';
import axios, { type AxiosError, type InternalAxiosRequestConfig } from 'axios';
import { issuerOfThisOrigin, ready, variantSetting } from './shared.js';

// Its issuer without a trailing slash (okta-auth-js strips it and compares the ID token's iss
// exactly): the provider's second instance, mounted at /okta (bench/peers/server.mjs).
const issuer = `${new URL(await issuerOfThisOrigin()).origin}/okta`;
const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
const crossTab = variantSetting('services') !== 'off';
const okta = new OktaAuth({
  issuer,
  clientId: 'okta-auth-js',
  redirectUri: `${location.origin}/callback`,
  scopes: ['openid', 'offline_access'],
  pkce: true,
  // An Okta org's paths (/oauth2/v1/…) are not this provider's: its discovery names them.
  authorizeUrl: discovery.authorization_endpoint,
  tokenUrl: discovery.token_endpoint,
  userinfoUrl: discovery.userinfo_endpoint,
  revokeUrl: discovery.revocation_endpoint,
  logoutUrl: discovery.end_session_endpoint,
  tokenManager: { storage: 'localStorage', autoRenew: true },
  services: { autoRenew: true, syncStorage: crossTab },
});
if (location.pathname === '/callback') {
  await okta.handleRedirect();
  history.replaceState(null, '', '/');
}
await okta.start();
const api = axios.create();
api.interceptors.request.use(async (config) => {
  const token = await okta.getOrRenewAccessToken();
  if (token) config.headers.set('Authorization', `Bearer ${token}`);
  return config;
});
api.interceptors.response.use(undefined, async (error: AxiosError) => {
  const config = error.config as (InternalAxiosRequestConfig & { retried?: boolean }) | undefined;
  if (error.response?.status !== 401 || !config || config.retried) throw error;
  config.retried = true;
  const tokens = await okta.token.renewTokens().catch(() => undefined);
  if (!tokens?.accessToken) throw error;
  okta.tokenManager.setTokens(tokens);
  config.headers.set('Authorization', `Bearer ${tokens.accessToken.accessToken}`);
  return api.request(config);
});
ready({ api, login: () => okta.signInWithRedirect(), loggedIn: () => okta.isAuthenticated(), logout: () => okta.signOut({ postLogoutRedirectUri: `${location.origin}/` }) });
