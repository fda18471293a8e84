// @ts-check
/**
 * `node bench/merge-peers.mjs FROM TO`: puts the peer comparison of a `--peers-only` run
 * (FROM: its `<json>.partial.json`) into a full run's results (TO, e.g. docs/bench.json),
 * saying so in `peers.separateRun` (the report names that run beside its tables), so a peer
 * table can be brought up to date without rerunning every other section. The run it replaces
 * keeps its storm's lost cells in `peers.earlierRuns` (newest first, at most three), so the
 * report can say which "lost" cells a second run reproduced.
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
  // Each library's first setup is the one the chart draws (runs before `primary` existed get it here).
  const first = stormVariants({ ...peers.settings, only: undefined }).filter((variant, i, all) => all.findIndex((each) => each.impl === variant.impl) === i);
  for (const row of peers.storm) row.primary ??= first.some((variant) => variant.impl === row.impl && variant.setting === row.setting);
  const replaced = results.peers?.storm?.length
    ? [{ date: results.peers.separateRun?.date ?? 'the full run', browser: results.peers.separateRun?.browser ?? results.browser, cells: lostCells(results.peers) }]
    : [];
  const earlierRuns = [...replaced, ...(results.peers?.earlierRuns ?? [])].slice(0, 3);
  return { ...results, peers: { ...peers, separateRun: run, earlierRuns } };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [from, to] = process.argv.slice(2);
  if (!from || !to) throw new Error('usage: node bench/merge-peers.mjs <peers-only partial json> <results json>');
  const partial = JSON.parse(readFileSync(from, 'utf8'));
  if (!partial.peers) throw new Error(`${from} has no peers section`);
  const merged = mergePeers(JSON.parse(readFileSync(to, 'utf8')), partial.peers, { date: process.env.PEERS_RUN_DATE ?? new Date().toISOString().slice(0, 10), browser: partial.browser, seconds: partial.peersSeconds });
  writeFileSync(to, `${JSON.stringify(merged, null, 2)}\n`);
  console.log(`merged the peer comparison of ${from} into ${to}`);
}
