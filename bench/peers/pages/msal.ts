// msal-browser as its docs set up an SPA against a provider that is not Entra ID
// (protocolMode OIDC, the provider in knownAuthorities): login by redirect (prompt=consent:
// OpenID grants offline_access only with it, and msal asks for offline_access again on every
// refresh), then before every request acquireTokenSilent() (the cached access token, or the
// refresh grant once it counts as expired); a 401 forces a refresh and retries once. Its
// cache in localStorage, the setting its docs give for sharing a login across tabs
// (`?cache=session`: sessionStorage, its default, where each new tab logs itself in with
// ssoSilent() in a hidden iframe, answered to its redirect bridge's page).
import { type AccountInfo, BrowserCacheLocation, ProtocolMode, PublicClientApplication } from '@azure/msal-browser';
import axios, { type AxiosError, type InternalAxiosRequestConfig } from 'axios';
import { issuerOfThisOrigin, ready, variantSetting } from './shared.js';

const SCOPES = ['api:read'];
const authority = await issuerOfThisOrigin();
const inSession = variantSetting('cache') === 'session';
const msal = new PublicClientApplication({
  auth: { clientId: 'msal-browser', authority, knownAuthorities: [new URL(authority).host], redirectUri: `${location.origin}/callback`, OIDCOptions: { defaultScopes: ['openid', 'offline_access'] } },
  cache: { cacheLocation: inSession ? BrowserCacheLocation.SessionStorage : BrowserCacheLocation.LocalStorage },
  system: { protocolMode: ProtocolMode.OIDC },
});
await msal.initialize();
const redirected = await msal.handleRedirectPromise();
if (location.pathname === '/callback') history.replaceState(null, '', '/');
let account: AccountInfo | null = redirected?.account ?? msal.getAllAccounts()[0] ?? null;
// A new tab with sessionStorage has no cache: it logs itself in from the provider's session, as msal's docs do.
if (!account && inSession && localStorage.getItem('bench-msal-logged-in')) account = (await msal.ssoSilent({ scopes: SCOPES, redirectUri: `${location.origin}/redirect.html` }).catch(() => null))?.account ?? null;
if (account) localStorage.setItem('bench-msal-logged-in', '1');
const token = async (forceRefresh = false) => (account ? (await msal.acquireTokenSilent({ scopes: SCOPES, account, forceRefresh })).accessToken : undefined);
const api = axios.create();
api.interceptors.request.use(async (config) => {
  const accessToken = await token();
  if (accessToken) config.headers.set('Authorization', `Bearer ${accessToken}`);
  return config;
});
api.interceptors.response.use(undefined, async (error: AxiosError) => {
  const config = error.config as (InternalAxiosRequestConfig & { retried?: boolean }) | undefined;
  if (error.response?.status !== 401 || !config || config.retried || !account) throw error;
  config.retried = true;
  config.headers.set('Authorization', `Bearer ${await token(true)}`);
  return api.request(config);
});
ready({ api, login: () => msal.loginRedirect({ scopes: SCOPES, prompt: 'consent' }), loggedIn: async () => account !== null, logout: () => msal.logoutRedirect({ account, postLogoutRedirectUri: `${location.origin}/` }) });
