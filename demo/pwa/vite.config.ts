/**
 * The example PWA: a Vite app whose service worker is its own `sw.ts`, built by
 * vite-plugin-pwa's injectManifest strategy, with the token broker inside it. Built into
 * the demo's output under /pwa/. `PWA_VERSION` changes a constant in the page bundle, so
 * a second build has a different precache manifest (the tests use it as "an update").
 */
import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

const here = import.meta.dirname;
const root = resolve(here, '../..');
const version = process.env.PWA_VERSION ?? '1';
// An app would import the published package; here the names point at the sources.
const alias = { 'sw-token-broker/sw': resolve(root, 'sw/index.ts'), 'sw-token-broker': resolve(root, 'src/index.ts') };

export default defineConfig({
  root: here,
  base: '/pwa/',
  logLevel: 'warn',
  resolve: { alias },
  define: { __APP_VERSION__: JSON.stringify(version) },
  build: {
    outDir: resolve(root, process.env.PWA_OUT_DIR ?? 'dist/demo/pwa'),
    emptyOutDir: true,
    target: 'es2022',
  },
  plugins: [
    VitePWA({
      strategies: 'injectManifest',
      srcDir: '.',
      filename: 'sw.ts',
      injectRegister: false, // the broker's client registers the worker
      manifest: {
        name: 'sw-token-broker PWA example',
        short_name: 'Broker PWA',
        description: 'A PWA whose own Workbox worker also runs the token broker.',
        start_url: '/pwa/',
        scope: '/pwa/',
        display: 'standalone',
        background_color: '#f6f7f9',
        theme_color: '#2f5bd3',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,png,webmanifest}'],
        rollupFormat: 'iife',
        buildPlugins: { vite: [{ name: 'broker-alias', config: () => ({ resolve: { alias } }) }] },
      },
    }),
  ],
});
