/**
 * The committed benchmark results keep the JSON contract DESIGN.md states, and the README's
 * and docs/benchmark.md's tables are the ones bench/report.mjs writes from them (so the
 * prose cannot drift from the run). The chart renders every implementation and mode.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderChart } from '../../../bench/chart.mjs';
import { detailTables, peerSetup, peerTables, sizeLine, summaryTables } from '../../../bench/report.mjs';

const results = JSON.parse(readFileSync('docs/bench.json', 'utf8'));

describe('docs/bench.json', () => {
  it('has every field of the contract', () => {
    for (const impl of ['broker', 'recipe', 'axios-auth-refresh']) {
      expect(results.storm.some((row: { impl: string }) => row.impl === impl)).toBe(true);
    }
    const brokerTabs = results.storm.filter((row: { impl: string }) => row.impl === 'broker').map((row: { tabs: number }) => row.tabs);
    expect(brokerTabs).toEqual(expect.arrayContaining([16, 32]));
    for (const row of results.storm) expect(row).toMatchObject({ tabs: expect.any(Number), requests: expect.any(Number), refreshes: expect.any(Number), reuseDetected: expect.any(Number), failed: expect.any(Number) });
    expect(results.overhead.map((row: { mode: string }) => row.mode)).toEqual(expect.arrayContaining(['handoff', 'passthrough', 'plain', 'sealed']));
    for (const row of results.overhead) {
      expect(row).toMatchObject({ p50Ms: expect.any(Number), p95Ms: expect.any(Number), p99Ms: expect.any(Number), rps: expect.any(Number), spread: [expect.any(Number), expect.any(Number)] });
      expect(row).toHaveProperty('ratioToFloor');
    }
    expect(results.roundTrip).toMatchObject({ persistentPortP50Ms: expect.any(Number), newChannelP50Ms: expect.any(Number), getTokenP50Ms: expect.any(Number) });
    expect(results.outage).toMatchObject({ requests: expect.any(Number), grants: expect.any(Number) });
    expect(results.workerHeap).toEqual(expect.arrayContaining([{ requests: 1000, kb: expect.any(Number) }, { requests: 10_000, kb: expect.any(Number) }]));
    expect(results.coldStart).toMatchObject({ p50Ms: expect.any(Number), bareWorkerP50Ms: expect.any(Number) });
    expect(results.bundle).toMatchObject({ pageGzipBytes: expect.any(Number), pageInitialGzipBytes: expect.any(Number), workerGzipBytes: expect.any(Number) });
    expect(results).toMatchObject({ browser: expect.stringMatching(/^Chromium /), node: expect.any(String), cpus: expect.any(Number) });
  });

  it('has the peers, every library at every tab count, each row measured or saying why not', () => {
    const { peers } = results;
    for (const impl of ['broker', 'auth0-spa-js', 'oidc-client-ts', 'axa-oidc-client']) {
      const rows = peers.storm.filter((row: { impl: string }) => row.impl === impl);
      expect(rows.map((row: { tabs: number }) => row.tabs)).toEqual(expect.arrayContaining([1, 2, 4, 8]));
      for (const row of rows) {
        if (row.refreshes === null) expect(row.errors.length).toBeGreaterThan(0);
        else expect(row).toMatchObject({ refreshes: expect.any(Number), reuseDetected: expect.any(Number), failed: expect.any(Number), sessionsLost: expect.any(Number) });
      }
      expect(peers.deviations[impl]).toEqual(expect.any(String));
      expect(peers.sizes.find((row: { impl: string }) => row.impl === impl)).toMatchObject({ pageGzipBytes: expect.any(Number) });
    }
    expect(peers.steady.map((row: { impl: string }) => row.impl)).toEqual(expect.arrayContaining(['broker', 'auth0-spa-js', 'oidc-client-ts', 'axa-oidc-client', 'plain']));
  });

  it('is what the README and docs/benchmark.md show', () => {
    const readme = readFileSync('README.md', 'utf8');
    const doc = readFileSync('docs/benchmark.md', 'utf8');
    expect(readme).toContain(summaryTables(results));
    expect(readme).toContain(sizeLine(results));
    expect(readme).toContain(peerTables(results));
    expect(doc).toContain(peerTables(results));
    expect(doc).toContain(peerSetup(results));
    expect(doc).toContain(summaryTables(results));
    expect(doc).toContain(detailTables(results));
  });

  it('draws every implementation and mode in docs/bench.svg', () => {
    const svg = renderChart(results);
    const modes = results.overhead.map((row: { mode: string }) => row.mode);
    const peers = results.peers ? ['auth0-spa-js', 'oidc-client-ts', 'axa-oidc-client'] : [];
    for (const label of ['broker', 'recipe', 'axios-auth-refresh', ...peers, ...modes]) expect(svg).toContain(`>${label}<`);
    expect(readFileSync('docs/bench.svg', 'utf8')).toBe(svg);
  });
});
