// @ts-check
/**
 * `node bench/merge-peers.mjs FROM TO [--races]`: puts the peer comparison of a `--peers-only`
 * run (FROM: its `<json>.partial.json`) into a full run's results (TO, e.g. docs/bench.json),
 * saying so in `peers.separateRun` (the report names that run beside its tables), so a peer
 * table can be brought up to date without rerunning every other section. The run it replaces
 * keeps its storm's lost cells in `peers.earlierRuns` (newest first, at most three), so the
 * report can say which "lost" cells a second run reproduced. A run limited with `--peer-steps`
 * replaces only the parts it measured.
 *
 * `--races`: FROM is a long storm (`--peer-steps storm --storm-runs N`) of the setups that lose
 * the session in some runs only; its cells go to `peers.races`, beside the storm table, which
 * it leaves as it is.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { stormVariants } from './peers/variants.mjs';

/** How often each storm cell of a run lost the session: what a later run is compared with. @param {any} peers */
export const lostCells = (peers) =>
  peers.storm.map((/** @type {any} */ row) => ({ impl: row.impl, setting: row.setting, tabs: row.tabs, runs: row.runs.length - row.errors.length, sessionsLost: row.sessionsLost }));

/**
 * @param {any} results a full run's results @param {any} peers a peers-only run's `peers`
 * @param {{ date: string, browser?: string, seconds?: number }} run
 */
export function mergePeers(results, peers, run) {
  const measured = (/** @type {string} */ step) => !peers.settings.steps || peers.settings.steps.includes(step);
  const kept = results.peers ?? {};
  // Each library's first setup is the one the chart draws (runs before `primary` existed get it here).
  const first = stormVariants({ ...peers.settings, only: undefined }).filter((variant, i, all) => all.findIndex((each) => each.impl === variant.impl) === i);
  for (const row of peers.storm) row.primary ??= first.some((variant) => variant.impl === row.impl && variant.setting === row.setting);
  // How each library is set up is said as the newer run's code says it.
  if (!measured('storm')) return { ...results, peers: { ...kept, deviations: peers.deviations, ...(measured('steady') ? { steady: peers.steady } : {}), ...(measured('traits') ? { traits: peers.traits } : {}), sizes: peers.sizes } };
  const replaced = kept.storm?.length ? [{ date: kept.separateRun?.date ?? results.date ?? 'the full run', browser: kept.separateRun?.browser ?? results.browser, cells: lostCells(kept) }] : [];
  const earlierRuns = [...replaced, ...(kept.earlierRuns ?? [])].slice(0, 3);
  return {
    ...results,
    peers: {
      ...peers,
      ...(measured('steady') ? {} : { steady: kept.steady }),
      ...(measured('traits') ? {} : { traits: kept.traits }),
      separateRun: run,
      earlierRuns,
      ...(kept.races ? { races: kept.races } : {}),
    },
  };
}

/**
 * A full run written over an earlier run's file: its peer comparison is the newest, the one it
 * replaces keeps its storm's lost cells in `peers.earlierRuns` (as mergePeers does), and the
 * long storm (`peers.races`), which a full run does not measure, stays.
 * @param {any} results the full run's results @param {any} earlier the file's results before it
 */
export function keepPeerHistory(results, earlier) {
  const before = earlier.peers;
  if (!before?.storm?.length || !results.peers) return results;
  const replaced = { date: before.separateRun?.date ?? earlier.date ?? 'the full run', browser: before.separateRun?.browser ?? earlier.browser, cells: lostCells(before) };
  return {
    ...results,
    peers: { ...results.peers, earlierRuns: [replaced, ...(before.earlierRuns ?? [])].slice(0, 3), ...(before.races ? { races: before.races } : {}) },
  };
}

/**
 * A long storm's cells into `peers.races` (replacing an earlier one); everything else as it was.
 * @param {any} results @param {any} peers a `--peer-steps storm --storm-runs N` run's `peers`
 * @param {{ date: string, browser?: string, seconds?: number }} run
 */
export function mergeRaces(results, peers, run) {
  if (!results.peers) throw new Error('the results have no peer comparison to put a long storm beside');
  // The lost cells a later run is compared with, and what the long storm's table adds to them.
  const cells = lostCells(peers).map((/** @type {any} */ cell, /** @type {number} */ i) => {
    const row = peers.storm[i];
    return { ...cell, stormRefreshes: row.stormRefreshes, failed: row.failed, errors: row.errors.length };
  });
  return { ...results, peers: { ...results.peers, races: { ...run, runsPerCell: peers.settings.runs, cells } } };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [from, to] = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  if (!from || !to) throw new Error('usage: node bench/merge-peers.mjs <peers-only partial json> <results json> [--races]');
  const partial = JSON.parse(readFileSync(from, 'utf8'));
  if (!partial.peers) throw new Error(`${from} has no peers section`);
  const run = { date: process.env.PEERS_RUN_DATE ?? new Date().toISOString().slice(0, 10), browser: partial.browser, seconds: partial.peersSeconds };
  const merge = process.argv.includes('--races') ? mergeRaces : mergePeers;
  writeFileSync(to, `${JSON.stringify(merge(JSON.parse(readFileSync(to, 'utf8')), partial.peers, run), null, 2)}\n`);
  console.log(`merged the ${merge === mergeRaces ? 'long storm' : 'peer comparison'} of ${from} into ${to}`);
}
