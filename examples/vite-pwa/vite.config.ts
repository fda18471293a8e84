import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

export default defineConfig({
  build: { target: 'es2022' },
  plugins: [
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      injectRegister: false, // registerTokenBroker registers the worker
      manifest: { name: 'sw-token-broker example', short_name: 'Example', start_url: '/', display: 'standalone', icons: [] },
      injectManifest: { globPatterns: ['**/*.{js,css,html}'], rollupFormat: 'iife' },
    }),
  ],
});
