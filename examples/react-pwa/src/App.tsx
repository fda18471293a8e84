import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useSession } from 'sw-token-broker/react';
import { api } from './api';

export function App() {
  const session = useSession();
  const me = useQuery({
    queryKey: ['me'],
    queryFn: async () => (await api.get<{ user: string }>('/me')).data,
    enabled: session.state === 'logged-in',
  });

  useEffect(() => {
    if (session.state !== 'starting') document.body.dataset.ready = 'true';
  }, [session.state]);

  if (session.state === 'error') return <p id="state">The token broker could not start: {String(session.error)}</p>;
  return (
    <main>
      <h1>sw-token-broker React example</h1>
      <p id="state">
        {session.state === 'logged-in' ? `Logged in as ${String(session.claims?.name ?? '?')} (token ${session.status?.generation})` : 'Logged out'}
      </p>
      <button id="login" onClick={() => void session.login({ username: 'demo', password: 'demo' })}>
        Log in
      </button>
      <button id="call" onClick={() => void me.refetch()} disabled={session.state !== 'logged-in'}>
        Call the API
      </button>
      <button id="logout" onClick={() => void session.logout()}>
        Log out
      </button>
      <pre id="out">{me.data ? JSON.stringify(me.data) : me.error ? String(me.error) : ''}</pre>
    </main>
  );
}
