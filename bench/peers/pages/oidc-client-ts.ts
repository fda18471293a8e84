// oidc-client-ts as its docs suggest for an SPA: a UserManager whose user is stored in
// localStorage (shared by the tabs); before a request, an expired user is renewed with
// signinSilent() (the refresh token grant); a 401 renews and retries once. Renewal runs on its
// timer by default (automaticSilentRenew, before expiry in every tab); `?renew=demand` turns the
// timer off, so only a request renews.
import axios, { type AxiosError, type InternalAxiosRequestConfig } from 'axios';
import { UserManager, WebStorageStateStore } from 'oidc-client-ts';
import { issuerOfThisOrigin, ready, variantSetting } from './shared.js';

const onDemand = variantSetting('renew') === 'demand';
const manager = new UserManager({
  authority: await issuerOfThisOrigin(),
  client_id: 'oidc-client-ts',
  redirect_uri: `${location.origin}/callback`,
  scope: 'openid offline_access',
  userStore: new WebStorageStateStore({ store: localStorage }),
  // Deviation: its default renews 60 s before expiry, a loop with any shorter token (docs/benchmark.md).
  accessTokenExpiringNotificationTimeInSeconds: 1,
  automaticSilentRenew: !onDemand,
});
if (location.pathname === '/callback') {
  await manager.signinRedirectCallback();
  history.replaceState(null, '', '/');
}
const validUser = async () => {
  const user = await manager.getUser();
  return user && !user.expired ? user : manager.signinSilent();
};
const api = axios.create();
api.interceptors.request.use(async (config) => {
  const user = await validUser();
  if (user) config.headers.set('Authorization', `Bearer ${user.access_token}`);
  return config;
});
api.interceptors.response.use(undefined, async (error: AxiosError) => {
  const config = error.config as (InternalAxiosRequestConfig & { retried?: boolean }) | undefined;
  if (error.response?.status !== 401 || !config || config.retried) throw error;
  config.retried = true;
  const user = await manager.signinSilent();
  if (user) config.headers.set('Authorization', `Bearer ${user.access_token}`);
  return api.request(config);
});
// The floor for steady state: plain axios with the current access token fixed in a header.
const plain = async () => axios.create({ headers: { Authorization: `Bearer ${(await manager.getUser())?.access_token}` } });
ready({ api, login: () => manager.signinRedirect(), loggedIn: async () => !!(await manager.getUser()), logout: () => manager.signoutRedirect({ post_logout_redirect_uri: `${location.origin}/` }), plain });
