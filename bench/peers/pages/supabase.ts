// supabase auth-js as supabase-js sets it up in a browser: the session in localStorage (shared
// by the tabs), autoRefreshToken on (a 30 s ticker refreshes a session within 90 s of expiry),
// and the access token read with getSession() before every request, as supabase-js's own
// fetch does. Its default is lockless (tabs share refreshed sessions over a BroadcastChannel);
// `?lock` sets the Web Locks lock it offered before (`lock: navigatorLock`, deprecated).
// Login is by password at this origin's GoTrue-compatible /auth/v1 (bench/peers/gotrue.mjs).
import { GoTrueClient, navigatorLock } from '@supabase/auth-js';
import axios from 'axios';
import { ready, variantSetting } from './shared.js';

const withLock = variantSetting('lock') !== null;
const auth = new GoTrueClient({
  url: `${location.origin}/auth/v1`,
  storageKey: 'sb-bench-auth-token',
  autoRefreshToken: true,
  persistSession: true,
  detectSessionInUrl: false,
  ...(withLock ? { lock: navigatorLock } : {}),
});
await auth.initialize();
const api = axios.create();
api.interceptors.request.use(async (config) => {
  const { data } = await auth.getSession();
  if (data.session) config.headers.set('Authorization', `Bearer ${data.session.access_token}`);
  return config;
});
ready({
  api,
  login: async () => {
    const { error } = await auth.signInWithPassword({ email: 'alice@example.test', password: 'anything' });
    if (error) throw error;
  },
  loginInPage: true,
  loggedIn: async () => !!(await auth.getSession()).data.session,
  // Its default scope, global: every session of the user deleted at the server, refresh tokens with them (Supabase has no provider session to end).
  logout: async () => {
    const { error } = await auth.signOut();
    if (error) throw error;
  },
});
