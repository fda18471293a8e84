import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { TokenBrokerProvider } from 'sw-token-broker/react';
import { App } from './App';
import { api, queryClient } from './api';

// For the tests, as `window.demo` is for the demo: the app's objects, and each sign-out it saw.
const signedOut: string[] = [];
Object.assign(window, { example: { api, queryClient, signedOut } });

// In `vite` dev, vite-plugin-pwa serves the worker as an ES module at /dev-sw.js?dev-sw.
const worker = import.meta.env.DEV ? { scriptUrl: '/dev-sw.js?dev-sw', options: { type: 'module' as const, scope: '/' } } : { scriptUrl: '/sw.js' };

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <TokenBrokerProvider
        {...worker}
        axios={api}
        fallback={<p>Starting…</p>}
        // Every sign-out, in every tab: stop what is in flight and forget the user's data.
        onSignedOut={(reason) => {
          signedOut.push(reason);
          void queryClient.cancelQueries();
          queryClient.clear();
        }}
      >
        <App />
      </TokenBrokerProvider>
    </QueryClientProvider>
  </StrictMode>,
);
