import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { screenshotSourcesHash } from '../../../scripts/screenshot-sources.mjs';

describe('the pictures in the README and CONTRIBUTING', () => {
  it('were taken from the demo as its UI sources are now (else: npm run screenshots)', () => {
    const recorded = JSON.parse(readFileSync('docs/screenshots.json', 'utf8')) as { sourcesHash: string; files: string[] };
    for (const file of recorded.files) expect(existsSync(file), file).toBe(true);
    expect(recorded.sourcesHash, 'the demo UI changed since the screenshots: run npm run screenshots').toBe(screenshotSourcesHash());
  });
});
