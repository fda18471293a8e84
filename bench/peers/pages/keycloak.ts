// keycloak-js as its docs set up an SPA, against any OpenID provider (`oidcProvider`: discovery):
// `check-sso` with a silent check in a hidden iframe, so every new tab logs itself in from the
// provider's session (prompt=none); tokens in the tab's memory (keycloak-js stores none); before
// a request `updateToken(5)` (the refresh grant when the token ends within 5 s); a 401 forces a
// refresh (`updateToken(-1)`) and retries once.
import axios, { type AxiosError, type InternalAxiosRequestConfig } from 'axios';
import Keycloak from 'keycloak-js';
import { issuerOfThisOrigin, ready } from './shared.js';

// keycloak-js decodes the refresh token as a JWT (Keycloak's are): its token requests go through
// this origin's /kc-token, which passes them to the provider with its opaque refresh token
// wrapped in a JWT's shape (bench/peers/server.mjs). Everything else is the provider's discovery.
const issuer = (await issuerOfThisOrigin()).replace(/\/$/, '');
const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
const keycloak = new Keycloak({ oidcProvider: { ...discovery, token_endpoint: `${location.origin}/kc-token` }, clientId: 'keycloak-js' });
await keycloak.init({
  onLoad: 'check-sso',
  silentCheckSsoRedirectUri: `${location.origin}/silent-check-sso.html`,
  // Its session-status iframe is Keycloak's own endpoint: another provider has none.
  checkLoginIframe: false,
  pkceMethod: 'S256',
  scope: 'openid offline_access',
});
const api = axios.create();
api.interceptors.request.use(async (config) => {
  if (keycloak.authenticated) {
    await keycloak.updateToken(5);
    config.headers.set('Authorization', `Bearer ${keycloak.token}`);
  }
  return config;
});
api.interceptors.response.use(undefined, async (error: AxiosError) => {
  const config = error.config as (InternalAxiosRequestConfig & { retried?: boolean }) | undefined;
  if (error.response?.status !== 401 || !config || config.retried || !keycloak.authenticated) throw error;
  config.retried = true;
  await keycloak.updateToken(-1);
  config.headers.set('Authorization', `Bearer ${keycloak.token}`);
  return api.request(config);
});
ready({ api, login: () => keycloak.login({ redirectUri: `${location.origin}/` }), loggedIn: async () => keycloak.authenticated === true, logout: () => keycloak.logout({ redirectUri: `${location.origin}/` }) });
