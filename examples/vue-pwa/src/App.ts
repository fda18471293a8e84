// The page, as a render function: `tsc -b` type-checks it without vue-tsc (which TypeScript 7 does not run).
import { defineComponent, h, ref } from 'vue';
import { onSignedOut, useSession } from 'sw-token-broker/vue';
import { api } from './api';

export const App = defineComponent(() => {
  const { state, status, claims, error, login, logout } = useSession();
  // The user's data, fetched on demand and forgotten on every sign-out (in any tab).
  const me = ref<string>('');
  onSignedOut(() => (me.value = ''));
  const call = async () => {
    try {
      me.value = JSON.stringify((await api.get<{ user: string }>('/me')).data);
    } catch (failure) {
      me.value = String(failure);
    }
  };
  return () =>
    state.value === 'error'
      ? h('p', { id: 'state' }, `The token broker could not start: ${String(error.value)}`)
      : h('main', [
          h('h1', 'sw-token-broker Vue example'),
          h('p', { id: 'state' }, state.value === 'logged-in' ? `Logged in as ${String(claims.value?.name ?? '?')} (token ${status.value?.generation})` : 'Logged out'),
          h('button', { id: 'login', onClick: () => void login({ username: 'demo', password: 'demo' }) }, 'Log in'),
          h('button', { id: 'call', onClick: call, disabled: state.value !== 'logged-in' }, 'Call the API'),
          h('button', { id: 'logout', onClick: () => void logout() }, 'Log out'),
          h('pre', { id: 'out' }, me.value),
        ]);
});
