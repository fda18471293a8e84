import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Unit tests only: Playwright specs live in tests/e2e and run under Playwright.
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
    setupFiles: ['fake-indexeddb/auto'],
  },
});
