import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The bindings import the page entry by name, as users do; here, its sources.
  resolve: { alias: [{ find: /^sw-token-broker$/, replacement: resolve(import.meta.dirname, 'src/index.ts') }] },
  test: {
    // Unit tests only: Playwright specs live in tests/e2e and run under Playwright.
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
    setupFiles: ['fake-indexeddb/auto', './tests/unit/setup.ts'],
  },
});
