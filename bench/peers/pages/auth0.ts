// auth0-spa-js as its README configures it for refresh tokens: useRefreshTokens, the cache in
// localStorage (shared by the tabs), and getTokenSilently() before every request.
import { createAuth0Client } from '@auth0/auth0-spa-js';
import axios from 'axios';
import { issuerOfThisOrigin, ready } from './shared.js';

const issuer = await issuerOfThisOrigin();
const auth0 = await createAuth0Client({
  domain: issuer.replace(/\/$/, ''),
  clientId: 'auth0-spa-js',
  useRefreshTokens: true,
  cacheLocation: 'localstorage',
  authorizationParams: { redirect_uri: `${location.origin}/callback`, scope: 'openid offline_access' },
});
if (location.pathname === '/callback') {
  await auth0.handleRedirectCallback();
  history.replaceState(null, '', '/');
}
const api = axios.create();
api.interceptors.request.use(async (config) => {
  config.headers.set('Authorization', `Bearer ${await auth0.getTokenSilently()}`);
  return config;
});
ready({ api, login: () => auth0.loginWithRedirect(), loggedIn: () => auth0.isAuthenticated(), logout: () => auth0.logout({ logoutParams: { returnTo: `${location.origin}/` } }) });
