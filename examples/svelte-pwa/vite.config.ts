import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

// `vite` (dev) has no backend of its own: it forwards the API and auth calls to ../server.mjs.
const backend = `http://127.0.0.1:${process.env.SVELTE_EXAMPLE_PORT ?? 5320}`;

export default defineConfig({
  build: { target: 'es2022' },
  // Found at start, not when the worker is first requested (which would reload the page in dev).
  optimizeDeps: { include: ['sw-token-broker', 'sw-token-broker/svelte', 'sw-token-broker/sw'] },
  server: { proxy: { '/api': backend, '/auth': backend } },
  plugins: [
    svelte(),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      injectRegister: false, // createTokenBroker registers the worker
      manifest: { name: 'sw-token-broker Svelte example', short_name: 'Svelte example', start_url: '/', display: 'standalone', icons: [] },
      injectManifest: { globPatterns: ['**/*.{js,css,html}'], rollupFormat: 'iife' },
      devOptions: { enabled: true, type: 'module' },
    }),
  ],
});
