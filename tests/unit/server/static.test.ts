import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../server/app.js';

/** A server over a folder with one page; `crossOriginIsolated` as given. */
async function serve(crossOriginIsolated: boolean) {
  const staticRoot = mkdtempSync(join(tmpdir(), 'static-'));
  writeFileSync(join(staticRoot, 'index.html'), '<p>page</p>');
  writeFileSync(join(staticRoot, 'sw.js'), '// a worker');
  const { server } = createApp({ accessTtlSeconds: 30, staticRoot, crossOriginIsolated });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("the demo server's files", () => {
  // The benchmark's pages: a 5 µs clock instead of 100 µs needs cross-origin isolation.
  it('are served cross-origin isolated when asked (the benchmark: its pages, not its workers), and not by default', async () => {
    for (const isolated of [true, false]) {
      const { base, close } = await serve(isolated);
      try {
        const page = await fetch(`${base}/`);
        expect(await page.text()).toBe('<p>page</p>');
        expect(page.headers.get('cross-origin-opener-policy')).toBe(isolated ? 'same-origin' : null);
        expect(page.headers.get('cross-origin-embedder-policy')).toBe(isolated ? 'require-corp' : null);
        expect(page.headers.get('cross-origin-resource-policy')).toBe(isolated ? 'cross-origin' : null);
        // Pages only: a worker script served with COEP would run isolated, and wake slower.
        expect((await fetch(`${base}/sw.js`)).headers.get('cross-origin-embedder-policy')).toBeNull();
        // The API's answers are not files: untouched either way.
        expect((await fetch(`${base}/auth/stats`)).headers.get('cross-origin-embedder-policy')).toBeNull();
      } finally {
        await close();
      }
    }
  });
});
