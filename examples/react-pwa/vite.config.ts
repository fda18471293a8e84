import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

// `vite` (dev) has no backend of its own: it forwards the API and auth calls to ../server.mjs.
const backend = `http://127.0.0.1:${process.env.REACT_EXAMPLE_PORT ?? 5312}`;

export default defineConfig({
  build: { target: 'es2022' },
  // JSX with React's automatic runtime, compiled by Vite's own transformer (no plugin needed to build).
  oxc: { jsx: { runtime: 'automatic' } },
  // Found at start, not when the worker is first requested (which would reload the page in dev).
  optimizeDeps: { include: ['sw-token-broker', 'sw-token-broker/react', 'sw-token-broker/sw'] },
  server: { proxy: { '/api': backend, '/auth': backend } },
  plugins: [
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      injectRegister: false, // <TokenBrokerProvider> registers the worker
      manifest: { name: 'sw-token-broker React example', short_name: 'React example', start_url: '/', display: 'standalone', icons: [] },
      injectManifest: { globPatterns: ['**/*.{js,css,html}'], rollupFormat: 'iife' },
      devOptions: { enabled: true, type: 'module' },
    }),
  ],
});
