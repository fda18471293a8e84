/**
 * The committed benchmark results keep the JSON contract DESIGN.md states, and the README's
 * and docs/benchmark.md's tables are the ones bench/report.mjs writes from them (so the
 * prose cannot drift from the run). The chart renders every implementation and mode.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderChart } from '../../../bench/chart.mjs';
import { keepPeerHistory, mergePeers, mergeRaces } from '../../../bench/merge-peers.mjs';
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

  it('has the peers, every library and setup at every tab count, each row measured or saying why not', () => {
    const { peers } = results;
    const libraries = ['broker', 'auth0-spa-js', 'oidc-client-ts', 'axa-oidc-client', 'keycloak-js', 'okta-auth-js', 'msal-browser', 'supabase-auth-js'];
    for (const impl of libraries) {
      const rows = peers.storm.filter((row: { impl: string }) => row.impl === impl);
      expect(rows.map((row: { tabs: number }) => row.tabs)).toEqual(expect.arrayContaining([1, 2, 4, 8]));
      for (const row of rows) {
        if (row.refreshes === null) expect(row.errors.length).toBeGreaterThan(0);
        // The storm's own grants apart from those made before it (timers, tab start-up).
        else expect(row).toMatchObject({ setting: expect.any(String), refreshes: expect.any(Number), refreshesBefore: expect.any(Number), stormRefreshes: expect.any(Number), reuseDetected: expect.any(Number), failed: expect.any(Number), sessionsLost: expect.any(Number) });
      }
      expect(peers.deviations[impl]).toEqual(expect.any(String));
      expect(peers.sizes.find((row: { impl: string }) => row.impl === impl)).toMatchObject({ pageGzipBytes: expect.any(Number) });
      // What tells them apart, filled for every library: where page script finds its refresh token, the session after a restart (and a stopped worker where there is one).
      const traits = peers.traits.find((row: { impl: string }) => row.impl === impl);
      expect(traits).toMatchObject({ refreshTokenIn: expect.any(Array), refreshTokenInPageHeap: expect.any(Boolean), afterBrowserRestart: expect.stringMatching(/^(kept|lost)$/) });
      expect(traits.afterWorkerStopped === null || ['kept', 'lost'].includes(traits.afterWorkerStopped)).toBe(true);
      // After its logout: its refresh token revoked or not, and the provider's session (supabase auth-js has no provider).
      expect(traits.refreshTokenAfterLogout).toMatch(/^(accepted|refused)$/);
      if (impl === 'supabase-auth-js') expect(traits.providerSessionAfterLogout).toBeNull();
      else expect(traits.providerSessionAfterLogout).toMatch(/^(ended|kept)$/);
    }
    // The setups a fair reader asks about, each its own row.
    const settings = (impl: string) => new Set(peers.storm.filter((row: { impl: string }) => row.impl === impl).map((row: { setting: string }) => row.setting));
    expect(settings('oidc-client-ts')).toEqual(new Set(['renewal on its timer', 'renewal on demand']));
    expect(settings('axa-oidc-client')).toEqual(new Set(['renewal on its timer', 'renewal on demand']));
    expect([...settings('okta-auth-js')]).toEqual(expect.arrayContaining(['cross-tab services on (its default)', 'cross-tab services off']));
    // msal-browser in both caches, and past its 300 s margin in both.
    expect([...settings('msal-browser')].filter((setting) => /300 s margin/.test(String(setting)))).toHaveLength(2);
    expect([...settings('msal-browser')]).toEqual(expect.arrayContaining(['localStorage (its docs, for tabs sharing a login)', 'sessionStorage (its default)']));
    expect([...settings('supabase-auth-js')].join()).toMatch(/lockless.*reuse interval 10 s.*|lock: navigatorLock/);
    expect(peers.steady.map((row: { impl: string }) => row.impl)).toEqual(expect.arrayContaining([...libraries, 'plain']));
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
    const peers = results.peers ? ['auth0-spa-js', 'oidc-client-ts', 'axa-oidc-client', 'keycloak-js', 'okta-auth-js', 'msal-browser', 'supabase-auth-js'] : [];
    for (const label of ['broker', 'recipe', 'axios-auth-refresh', ...peers, ...modes]) expect(svg).toContain(`>${label}<`);
    expect(readFileSync('docs/bench.svg', 'utf8')).toBe(svg);
  });

  it('keeps the replaced run\'s lost cells when a peers-only run is merged, and says which cells the two agree on', () => {
    const older = structuredClone(results);
    // The run being replaced lost auth0-spa-js's session at 2 tabs in every run; the newer (the committed one, cloned) as it measured.
    const cell = older.peers.storm.find((row: { impl: string; setting: string; tabs: number }) => row.impl === 'auth0-spa-js' && row.setting === '' && row.tabs === 2);
    cell.sessionsLost = cell.runs.length;
    const newer = structuredClone(results.peers);
    newer.storm.find((row: { impl: string; setting: string; tabs: number }) => row.impl === 'auth0-spa-js' && row.setting === '' && row.tabs === 2).sessionsLost = 0;
    const merged = mergePeers(older, newer, { date: '2026-12-05' });
    expect(merged.peers.separateRun).toEqual({ date: '2026-12-05' });
    expect(merged.peers.earlierRuns[0].cells).toContainEqual({ impl: 'auth0-spa-js', setting: '', tabs: 2, runs: cell.runs.length, sessionsLost: cell.runs.length });
    const table = peerTables(merged);
    // The comparison's row (the storm table's row has no "cells agreeing" column).
    const auth0 = table.split('\n').find((line) => /^\| auth0-spa-js [\d.]+ \|.* \d+ of \d+ \|/.test(line));
    expect(auth0).toContain(`0/${cell.runs.length} / **${cell.runs.length}/${cell.runs.length}**`);
    expect(table).toMatch(/They differ on some cells of: [^.]*auth0-spa-js;/);
    // Merged again, the newest replaced run comes first and at most three are kept.
    const again = mergePeers(mergePeers(mergePeers(merged, newer, { date: 'c' }), newer, { date: 'd' }), newer, { date: 'e' });
    expect(again.peers.earlierRuns.map((run: { date: string }) => run.date)).toEqual(['d', 'c', '2026-12-05']);
  });

  it('puts a long storm beside the storm table without replacing it, and a run of some steps replaces only those', () => {
    const long = structuredClone(results.peers);
    long.settings = { ...long.settings, runs: 9, steps: ['storm'] };
    // keycloak-js never lost the session in the short runs; the long storm saw it lose in 2 of 9.
    long.storm = long.storm.filter((row: { impl: string }) => row.impl === 'keycloak-js');
    const cell = long.storm.find((row: { setting: string; tabs: number }) => row.setting === '' && row.tabs === 4);
    cell.runs = Array.from({ length: 9 }, (_, i) => ({ sessionLost: i < 2 }));
    cell.errors = [];
    cell.sessionsLost = 2;
    const merged = mergeRaces(results, long, { date: '2026-12-06' });
    expect(merged.peers.storm).toEqual(results.peers.storm);
    expect(merged.peers.races).toMatchObject({ date: '2026-12-06', runsPerCell: 9 });
    const racesPart = peerTables(merged).split('A long storm')[1] ?? '';
    const line = racesPart.split('\n').find((each) => /^\| keycloak-js [\d.]+ \|/.test(each));
    const cells = (line ?? '').split('|').map((each) => each.trim());
    expect(cells[4]).toBe('**2/9**');
    const rows = long.storm.filter((row: { setting: string }) => row.setting === '');
    const sum = (pick: (row: { sessionsLost: number; runs: unknown[]; errors: unknown[] }) => number) => rows.reduce((total: number, row: never) => total + pick(row), 0);
    expect(cells[6]).toBe(`${sum((row) => row.sessionsLost)} of ${sum((row) => row.runs.length - row.errors.length)}`);
    // The line under the storm table counts the long storm's runs too.
    const lostLine = (tables: string) => tables.split('**Session lost in at least one run**')[1]?.split('\n')[0] ?? '';
    expect(lostLine(peerTables({ ...results, peers: { ...results.peers, races: undefined } }))).not.toContain('keycloak-js');
    expect(lostLine(peerTables(merged))).toContain('keycloak-js');
    // A traits-only run keeps the storm, its earlier runs and the long storm.
    const traitsOnly = { ...structuredClone(results.peers), settings: { ...results.peers.settings, steps: ['traits'] }, storm: [], traits: [{ impl: 'broker', refreshTokenIn: ['x'] }] };
    const again = mergePeers(merged, traitsOnly, { date: '2026-12-07' });
    expect(again.peers.storm).toEqual(results.peers.storm);
    expect(again.peers.races).toEqual(merged.peers.races);
    expect(again.peers.traits).toEqual(traitsOnly.traits);
  });

  it('keeps the earlier peer runs and the long storm when a full run is written over the file', () => {
    // A full run measured one run per cell, and lost auth0-spa-js's session at 2 tabs.
    const full = { ...structuredClone(results), date: '2026-12-08', peers: { ...structuredClone(results.peers), earlierRuns: undefined, races: undefined, separateRun: undefined } };
    const cell = full.peers.storm.find((row: { impl: string; setting: string; tabs: number }) => row.impl === 'auth0-spa-js' && row.setting === '' && row.tabs === 2);
    cell.runs = [{ sessionLost: true }];
    cell.errors = [];
    cell.sessionsLost = 1;
    const written = keepPeerHistory(full, results);
    expect(written.peers.storm).toEqual(full.peers.storm);
    expect(written.peers.races).toEqual(results.peers.races);
    // The run it replaced is the first earlier run, dated as it was; at most three are kept.
    expect(written.peers.earlierRuns[0]).toMatchObject({ date: results.peers.separateRun?.date ?? results.date });
    expect(written.peers.earlierRuns.slice(1)).toEqual((results.peers.earlierRuns ?? []).slice(0, 2));
    const auth0 = peerTables(written).split('\n').find((line) => /^\| auth0-spa-js [\d.]+ \|.* \d+ of \d+ \|/.test(line));
    expect(auth0).toContain('**1/1** / 0/');
    // A file without peers (or no file's peers) leaves the full run as it is.
    expect(keepPeerHistory(full, { ...results, peers: undefined })).toBe(full);
  });
});
