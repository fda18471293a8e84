import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const build = (what: 'lib' | 'demo' | 'test') => spawnSync(process.execPath, ['scripts/build.mjs', what], { encoding: 'utf8' });

describe('the incremental build (npm run demo starts fast the second time)', () => {
  it('a second build with nothing changed builds nothing: one "up to date" line per part', { timeout: 300_000 }, () => {
    // The first run builds what changed since the last (nothing, right after npm test's build).
    for (const what of ['lib', 'demo', 'test'] as const) expect(build(what).status).toBe(0);
    const second = (['lib', 'demo', 'test'] as const).map((what) => build(what));
    expect(second.map((run) => run.status)).toEqual([0, 0, 0]);
    expect(second.flatMap((run) => run.stdout.trim().split('\n'))).toEqual([
      'build: library: up to date',
      // `npm run demo` builds what the demo serves, nothing for the tests.
      'build: demo: up to date',
      'build: server: up to date',
      'build: example PWA, second version: up to date',
      'build: test fixtures: up to date',
    ]);
    // `--check` builds nothing and says the same, wherever the flag stands.
    for (const args of [['--check'], ['lib', '--check'], ['--check', 'demo']]) {
      expect(spawnSync(process.execPath, ['scripts/build.mjs', ...args], { encoding: 'utf8' }).status).toBe(0);
    }
  });
});
