/** `npm test -- --help` says what the suite runs, what it needs and how long it takes, and runs nothing. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('npm test -- --help', () => {
  it('prints the stages, their times on two cores, and that missing packages are installed with apt as root; builds and runs nothing', () => {
    const started = Date.now();
    const result = spawnSync(process.execPath, ['scripts/test.mjs', '--help'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    for (const words of ['build', 'typecheck', 'unit tests', 'package tests', 'Firefox', 'WebKit', 'fallback', 'end-to-end', 'two cores', 'apt-get as root', 'N passed, N failed']) {
      expect(result.stdout).toContain(words);
    }
    expect(result.stdout).toMatch(/Angular/);
    // Nothing started: a build alone takes longer than this.
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
