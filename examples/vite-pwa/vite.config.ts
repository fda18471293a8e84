import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

// `vite` (dev) has no backend of its own: it forwards the API and auth calls to server.mjs.
const backend = `http://127.0.0.1:${process.env.EXAMPLE_PORT ?? 5306}`;

export default defineConfig({
  build: { target: 'es2022' },
  // Found at start, not when the worker is first requested (which would reload the page in dev).
  optimizeDeps: { include: ['sw-token-broker', 'sw-token-broker/sw'] },
  server: { proxy: { '/api': backend, '/auth': backend } },
  plugins: [
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      injectRegister: false, // registerTokenBroker registers the worker
      manifest: { name: 'sw-token-broker example', short_name: 'Example', start_url: '/', display: 'standalone', icons: [] },
      injectManifest: { globPatterns: ['**/*.{js,css,html}'], rollupFormat: 'iife' },
      // In `vite` dev the plugin serves the worker as an ES module at /dev-sw.js?dev-sw (see main.ts).
      devOptions: { enabled: true, type: 'module' },
    }),
  ],
});
