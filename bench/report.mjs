// @ts-check
/**
 * `node bench/report.mjs [FILE]` (default docs/bench.json): writes the benchmark's tables
 * from one run's JSON into README.md and docs/benchmark.md, between their
 * `<!-- bench:... -->` markers, so the prose cannot drift from the committed results.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { lostCells } from './merge-peers.mjs';

/** @param {any} r */
export function summaryTables(r) {
  const broker = r.storm.filter((/** @type {any} */ row) => row.impl === 'broker');
  const tabCounts = broker.map((/** @type {any} */ row) => row.tabs);
  const cell = (/** @type {string} */ impl, /** @type {number} */ tabs) => {
    const row = r.storm.find((/** @type {any} */ each) => each.impl === impl && each.tabs === tabs);
    return row ? `${row.refreshes} / ${row.failed}${row.sessionsLost ? ` / lost ${row.sessionsLost}` : ''}` : '—';
  };
  const lines = [
    `Refresh storm, refreshes / failed requests (/ sessions lost out of ${r.settings.stormRuns} runs), tabs × ${r.settings.stormRequests} requests right after expiry:`,
    '',
    `| impl | ${tabCounts.map((/** @type {number} */ tabs) => `${tabs} tab${tabs > 1 ? 's' : ''}`).join(' | ')} |`,
    `|---|${tabCounts.map(() => '---').join('|')}|`,
    ...['broker', 'fallback', 'recipe', 'axios-auth-refresh']
      .filter((impl) => impl !== 'fallback' || r.storm.some((/** @type {any} */ row) => row.impl === impl))
      .map((impl) => `| ${impl === 'fallback' ? 'broker in the page (no service worker)' : impl} | ${tabCounts.map((/** @type {number} */ tabs) => cell(impl, tabs)).join(' | ')} |`),
    '',
    `Overhead per request against its floor, ${r.settings.rounds} interleaved rounds of ${r.settings.roundRequests} sequential requests per mode${r.settings.roundBlocks ? ` (each round in ${r.settings.roundBlocks} blocks of every mode in a fresh order)` : ''} (loopback; median of the round medians, spread = lowest and highest round${r.settings.crossOriginIsolated ? '; pages cross-origin isolated, so timed with a 5 µs clock instead of 100 µs' : ''}):`,
    '',
    '| mode | p50 ms | p95 ms | p99 ms | req/s (50 in flight) | p50 spread | floor | ratio to floor (spread) |',
    '|---|---|---|---|---|---|---|---|',
    ...r.overhead.map(
      (/** @type {any} */ row) =>
        `| ${row.what} | ${row.p50Ms} | ${row.p95Ms} | ${row.p99Ms} | ${row.rps} | ${row.spread[0]}–${row.spread[1]} | ${row.floor ?? '—'} | ${
          row.ratioToFloor === null ? '—' : `${row.ratioToFloor} (${row.ratioSpread[0]}–${row.ratioSpread[1]})${row.ratioTrusted ? '' : ', spread too wide to trust'}`
        } |`,
    ),
  ];
  return lines.join('\n');
}

/** @param {any} r */
export function detailTables(r) {
  const o = r.outage;
  const w = r.slowRotation;
  const s = r.steady;
  const t = r.roundTrip;
  const b = r.bundle;
  return [
    `**Steady use**: ${s.tabs} tabs making requests for ${s.durationS} s with ${s.lifetimeS}-second access tokens: ${s.requests} requests, ${s.failed} failed, ${s.api401} 401s, ${s.refreshes} token-endpoint calls, ${s.refreshesPerLifetime} per token lifetime (the floor is 1).`,
    '',
    `**Outage**: the token endpoint answering 500, ${o.requests} requests from 2 tabs within the first cool-down: ${o.grants} grant sent, ${o.failed} requests failed with the retryable \`refresh-unavailable\`; once that cool-down had passed, ${o.afterBackoff.requests} more requests sent ${o.afterBackoff.grants}; session ${o.sessionKept ? 'kept' : 'lost'}.`,
    '',
    `**Slow rotation**: a rotating endpoint answering ${w.answerAfterMs} ms after the request, the worker's timeout ${w.timeoutMs} ms: ${w.failedWhileWaiting} of 5 requests made while waiting failed (retryable), the answer was stored when it came, and ${5 - w.failedAfter} of the next 5 succeeded with ${w.refreshes} grant and ${w.reuseDetected} reuse: session ${w.sessionKept ? 'kept' : 'lost'}.`,
    '',
    `**Message round trip** page → worker → page, p50 over ${t.messages} each, interleaved: a persistent port to a bare worker ${t.persistentPortP50Ms} ms, a new MessageChannel per message ${t.newChannelP50Ms} ms, the broker's \`getToken\` (new channel, as the client sends it) ${t.getTokenP50Ms} ms.`,
    '',
    `**Cold start**, worker stopped (CDP) to the first access token in hand: p50 ${r.coldStart.p50Ms} ms, p95 ${r.coldStart.p95Ms} ms; a bare worker that only answers wakes in p50 ${r.coldStart.bareWorkerP50Ms} ms${
      r.coldStart.bareIdbWorkerP50Ms === undefined ? '' : `, one that reads an IndexedDB record first (as any worker keeping its session on disk) in ${r.coldStart.bareIdbWorkerP50Ms} ms: the broker is ${r.coldStart.ratioToBare}× the first and ${r.coldStart.ratioToBareIdb}× the second, the rest being its script loaded and run`
    } (${r.coldStart.repeats} repeats each${r.coldStart.bareIdbWorkerP50Ms === undefined ? '' : ', interleaved'}).`,
    '',
    `**Worker heap** (sealed worker, after a forced GC): ${r.workerHeap.map((/** @type {any} */ h) => `${h.kb} kB after ${h.requests.toLocaleString('en')} requests`).join(', ')}.`,
    '',
    `**Bundles**, minified and gzipped: ${b.measuredFrom ? `built from the packed package (${b.measuredFrom}) as an app's bundler builds it: ` : ''}the page entry as loaded before registering ${b.pageInitialGzipBytes.toLocaleString('en')} B (with the chunks it imports), ${b.pageGzipBytes.toLocaleString('en')} B with every chunk it may load once registerTokenBroker ran (the client, workbox-window, the interceptors' and the fetch wrapper's steps; axios not counted)${b.pageFallbackGzipBytes === undefined ? '' : `, and ${b.pageFallbackGzipBytes.toLocaleString('en')} B more for the page-side fallback where no service worker runs`};${b.reactBindingGzipBytes === undefined ? '' : ` the React binding ${b.reactBindingGzipBytes.toLocaleString('en')} B and the Vue binding ${b.vueBindingGzipBytes.toLocaleString('en')} B on top of it;`}${b.angularBindingGzipBytes === undefined ? '' : ` the Svelte binding ${b.svelteBindingGzipBytes.toLocaleString('en')} B and the Angular binding (with its HttpClient interceptor) ${b.angularBindingGzipBytes.toLocaleString('en')} B;`} the standalone worker (broker, idb-keyval, JSON adapter) ${b.workerGzipBytes.toLocaleString('en')} B; the OpenID worker (with oauth4webapi) ${b.workerOauthGzipBytes.toLocaleString('en')} B.`,
    '',
    '**Goals** set for this benchmark, as this run measured them:',
    '',
    '| goal | this run | reached |',
    '|---|---|---|',
    ...r.goals.map((/** @type {any} */ goal) => `| ${goal.goal} | ${goal.value} | ${goal.met ? 'yes' : '**no**'} |`),
    '',
    `Run: ${r.browser}, Node ${r.node}, ${r.cpus} cpus (${r.cpuModel}), ${r.seconds} s.`,
  ].join('\n');
}

const PEER_NAMES = {
  broker: 'sw-token-broker',
  'auth0-spa-js': 'auth0-spa-js',
  'oidc-client-ts': 'oidc-client-ts',
  'axa-oidc-client': '@axa-fr/oidc-client',
  'keycloak-js': 'keycloak-js',
  'okta-auth-js': 'okta-auth-js',
  'msal-browser': 'msal-browser',
  'supabase-auth-js': 'supabase auth-js',
};

/** @typedef {(variant: [string, string], options?: { version?: boolean }) => string} SetupLabel */

/** A storm row's setup: its `setting` (runs since issue 43), else its token lifetime when not the common one. @param {any} row @param {any} p */
const settingOf = (row, p) => row.setting ?? (row.ttlS !== p.settings.ttlS ? `${row.ttlS} s tokens` : '');

/** The peer comparison's tables: storms per library, setup and tab count; what tells them apart; steady state and sizes. @param {any} r */
export function peerTables(r) {
  const p = r.peers;
  if (!p) return 'No peer comparison in this run.';
  const tabCounts = [...new Set(p.storm.map((/** @type {any} */ row) => row.tabs))].sort((a, b) => Number(a) - Number(b));
  // The broker first, then the others as PEER_NAMES lists them; a library's first setup before its others.
  const order = Object.keys(PEER_NAMES);
  /** @type {Array<[string, string]>} */
  const variants = [];
  for (const row of p.storm) if (!variants.some(([impl, setting]) => impl === row.impl && setting === settingOf(row, p))) variants.push([row.impl, settingOf(row, p)]);
  const primaryFirst = (/** @type {[string, string]} */ [impl, setting]) => (p.storm.find((/** @type {any} */ row) => row.impl === impl && settingOf(row, p) === setting)?.primary ?? setting === '' ? 0 : 1);
  variants.sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0]) || primaryFirst(a) - primaryFirst(b) || a[1].localeCompare(b[1]));
  const name = (/** @type {string} */ impl) => `${PEER_NAMES[/** @type {keyof typeof PEER_NAMES} */ (impl)] ?? impl}${p.versions?.[impl] ? ` ${p.versions[impl]}` : ''}`;
  /** One way to name a setup everywhere: "library, setting" (with the version in a table's first column). @type {SetupLabel} */
  const setupLabel = ([impl, setting], { version = false } = {}) => `${version ? name(impl) : PEER_NAMES[/** @type {keyof typeof PEER_NAMES} */ (impl)] ?? impl}${setting ? `, ${setting}` : ''}`;
  const range = (/** @type {number} */ value, /** @type {number[] | null} */ spread) => (spread && spread[0] !== spread[1] ? `${value} (${spread[0]}–${spread[1]})` : `${value}`);
  const split = p.storm.some((/** @type {any} */ row) => row.stormRefreshes !== undefined);
  const cell = (/** @type {[string, string]} */ [impl, setting], /** @type {number} */ tabs) => {
    const row = p.storm.find((/** @type {any} */ each) => each.impl === impl && settingOf(each, p) === setting && each.tabs === tabs);
    if (!row) return '—';
    if (row.refreshes === null) return `could not run: ${row.errors[0]}`;
    const extras = [row.reuseDetected ? `reuse ${row.reuseDetected}` : '', row.sessionsLost ? `**lost ${row.sessionsLost}/${row.runs.length}**` : '', row.errors.length ? `${row.errors.length} run(s) failed` : ''].filter(Boolean);
    const grants = split ? `${range(row.stormRefreshes, row.stormRefreshesRange)}${row.refreshesBefore ? ` (+${row.refreshesBefore})` : ''}` : range(row.refreshes, row.refreshesRange);
    return `${grants} / ${range(row.failed, row.failedRange)}${extras.length ? `, ${extras.join(', ')}` : ''}`;
  };
  const steady = (/** @type {string} */ impl) => p.steady.find((/** @type {any} */ row) => row.impl === impl);
  const size = (/** @type {string} */ impl) => p.sizes.find((/** @type {any} */ row) => row.impl === impl);
  const measured = [...Object.keys(PEER_NAMES), 'plain'].filter((impl) => steady(impl) || size(impl));
  const grantsText = split
    ? 'Refresh grants made by the storm (in brackets, those made before it from the login on: tab start-up, renewal timers) / failed requests'
    : 'Refresh grants / failed requests';
  return [
    ...(p.separateRun ? [`Measured by a separate \`npm run bench -- --peers-only\` run (${p.separateRun.date}${p.separateRun.browser ? `, ${p.separateRun.browser}` : ''}), merged into the committed results by bench/merge-peers.mjs; the tables above are the full run's.`, ''] : []),
    `Against one oidc-provider (rotation on every refresh; a rotated refresh token presented again revokes the grant), each library logging in by its own flow (supabase auth-js by password, against a GoTrue-compatible endpoint). ${grantsText} (${p.settings.runs === 1 ? 'one run per cell, as a full `npm run bench` takes; the comparison with the earlier run below shows which cells it reproduced' : `median of ${p.settings.runs} runs, min–max`}), N tabs × ${p.settings.requests} parallel requests right after a ${p.settings.ttlS} s access token expired (refreshed tokens live ${p.settings.refreshedTtlS} s):`,
    '',
    `| library, setup | ${tabCounts.map((tabs) => `${tabs} tab${Number(tabs) > 1 ? 's' : ''}`).join(' | ')} |`,
    `|---|${tabCounts.map(() => '---').join('|')}|`,
    ...variants.map((variant) => `| ${setupLabel(variant, { version: true })} | ${tabCounts.map((tabs) => cell(variant, /** @type {number} */ (tabs))).join(' | ')} |`),
    '',
    ...stormVerdicts(p, variants, setupLabel),
    ...(p.earlierRuns?.length ? ['', lostAcrossRuns(p, variants, tabCounts, setupLabel)] : []),
    ...(p.races ? ['', racesTable(p, variants, tabCounts, setupLabel)] : []),
    ...(p.traits?.length ? ['', traitsTable(p, name)] : []),
    '',
    `Steady state (one tab, a long-lived token, ${p.settings.steadyRounds} interleaved rounds of ${p.settings.steadyRequests} sequential requests each), and what each page loads for auth (minified, gzipped, axios not counted):`,
    '',
    '| library | p50 ms | p95 ms | page | service worker |',
    '|---|---|---|---|---|',
    // Only the libraries this run measured (a run limited with --peers has fewer).
    ...measured.map((impl) => {
      const s = steady(impl);
      const z = size(impl);
      const kb = (/** @type {number | null | undefined} */ bytes) => (bytes ? `${(bytes / 1000).toFixed(1)} kB` : '—');
      return `| ${impl === 'plain' ? 'plain axios, fixed token' : name(impl)} | ${s?.p50Ms ?? '—'} | ${s?.p95Ms ?? '—'} | ${kb(z?.pageGzipBytes)} | ${kb(z?.workerGzipBytes)} |`;
    }),
  ].join('\n');
}

/**
 * What the storm table shows, said from its rows: which setups never lost the session, which
 * also failed no request, which made exactly one grant per storm.
 * @param {any} p @param {Array<[string, string]>} variants @param {SetupLabel} label
 */
function stormVerdicts(p, variants, label) {
  const rowsOf = (/** @type {[string, string]} */ [impl, setting]) => p.storm.filter((/** @type {any} */ row) => row.impl === impl && settingOf(row, p) === setting);
  const measuredFully = variants.filter((variant) => rowsOf(variant).every((/** @type {any} */ row) => row.refreshes !== null && !row.errors.length));
  const runsOf = (/** @type {[string, string]} */ variant) => rowsOf(variant).flatMap((/** @type {any} */ row) => row.runs);
  // The long storm's runs count too: a setup it saw lose has lost in a run.
  const lostInRaces = (/** @type {[string, string]} */ [impl, setting]) => (p.races?.cells ?? []).some((/** @type {any} */ cell) => cell.impl === impl && settingOf(cell, p) === setting && cell.sessionsLost > 0);
  const neverLost = measuredFully.filter((variant) => runsOf(variant).every((/** @type {any} */ run) => !run.sessionLost) && !lostInRaces(variant));
  const clean = neverLost.filter((variant) => runsOf(variant).every((/** @type {any} */ run) => run.failed === 0));
  const oneGrant = clean.filter((variant) => runsOf(variant).every((/** @type {any} */ run) => (run.stormRefreshes ?? run.refreshes) === 1 && !run.refreshesBefore));
  const lost = measuredFully.filter((variant) => !neverLost.includes(variant));
  const list = (/** @type {Array<[string, string]>} */ some) => (some.length ? some.map((variant) => label(variant)).join('; ') : 'none');
  return [
    `In every run at every tab count${p.races ? ' (the long storm below included)' : ''}: **exactly one grant and nothing failed or lost**: ${list(oneGrant)}. Nothing failed or lost, with more grants: ${list(clean.filter((variant) => !oneGrant.includes(variant)))}. Session kept but requests failed: ${list(neverLost.filter((variant) => !clean.includes(variant)))}. **Session lost in at least one run**: ${list(lost)}.`,
  ];
}

/**
 * Which "lost" cells an earlier run on the same machine reproduced (bench/merge-peers.mjs keeps
 * its cells): per setup that lost the session in either run, sessions lost out of the runs at
 * each tab count, in this run and in the earlier one, and whether the two agree that it loses.
 * @param {any} p @param {Array<[string, string]>} variants @param {number[]} tabCounts @param {SetupLabel} setupLabel
 */
function lostAcrossRuns(p, variants, tabCounts, setupLabel) {
  const earlier = p.earlierRuns[0];
  /** @param {any[]} cells @param {[string, string]} variant @param {number} tabs */
  const cellOf = (cells, [impl, setting], tabs) => cells.find((cell) => cell.impl === impl && settingOf(cell, p) === setting && cell.tabs === tabs);
  const now = lostCells(p);
  const lostIn = (/** @type {any[]} */ cells, /** @type {[string, string]} */ variant) => tabCounts.map((tabs) => cellOf(cells, variant, tabs)).filter(Boolean);
  const both = variants.filter((variant) => lostIn(earlier.cells, variant).length);
  // A setup new in this run has nothing to be compared with: named apart, not counted as differing.
  const losing = both.filter((variant) => [now, earlier.cells].some((cells) => lostIn(cells, variant).some((cell) => cell.sessionsLost > 0)));
  const fresh = variants.filter((variant) => !both.includes(variant) && lostIn(now, variant).length);
  const text = (/** @type {any} */ cell) => (cell ? (cell.sessionsLost ? `**${cell.sessionsLost}/${cell.runs}**` : `0/${cell.runs}`) : '—');
  /** Cells where the two runs agree on whether the session was lost. @param {[string, string]} variant */
  const agreeing = (variant) => tabCounts.filter((tabs) => (cellOf(now, variant, tabs)?.sessionsLost > 0) === (cellOf(earlier.cells, variant, tabs)?.sessionsLost > 0)).length;
  const pooled = (/** @type {[string, string]} */ variant) => {
    const cells = [...lostIn(now, variant), ...lostIn(earlier.cells, variant)];
    return `${cells.reduce((sum, cell) => sum + cell.sessionsLost, 0)} of ${cells.reduce((sum, cell) => sum + cell.runs, 0)}`;
  };
  const always = losing.filter((variant) => agreeing(variant) === tabCounts.length);
  const label = (/** @type {Array<[string, string]>} */ some) => (some.length ? some.map((variant) => setupLabel(variant)).join('; ') : 'none');
  return [
    `Sessions lost out of the runs, this run beside an earlier run on the same machine (${earlier.date}${earlier.browser ? `, ${earlier.browser}` : ''}), for every setup that lost the session in either; ${both.length - losing.filter((variant) => both.includes(variant)).length} other setups measured in both lost nothing in either:`,
    '',
    `| library, setup | ${tabCounts.map((tabs) => `${tabs} tab${tabs > 1 ? 's' : ''}: this / earlier`).join(' | ')} | cells agreeing | lost, both runs pooled |`,
    `|---|${tabCounts.map(() => '---').join('|')}|---|---|`,
    ...losing.map((variant) => `| ${setupLabel(variant, { version: true })} | ${tabCounts.map((tabs) => `${text(cellOf(now, variant, tabs))} / ${text(cellOf(earlier.cells, variant, tabs))}`).join(' | ')} | ${agreeing(variant)} of ${tabCounts.length} | ${pooled(variant)} |`),
    '',
    `Both runs agree on every cell of: ${label(always)}.${
      always.length < losing.length ? ` They differ on some cells of: ${label(losing.filter((variant) => !always.includes(variant)))}; there the session is lost in some runs only, a race whose rate the pooled column estimates and no cell of a few runs settles.` : ''
    }${fresh.length ? ` New in this run, with no earlier run to compare: ${label(fresh)}.` : ''}`,
  ].join('\n');
}

/**
 * A long storm (bench/merge-peers.mjs --races) of the setups that lose the session in some runs
 * only: sessions lost out of many runs per cell, the rate no cell of 3 runs can give.
 * @param {any} p @param {Array<[string, string]>} variants @param {number[]} tabCounts @param {SetupLabel} setupLabel
 */
function racesTable(p, variants, tabCounts, setupLabel) {
  const { races } = p;
  const cellsOf = (/** @type {[string, string]} */ [impl, setting]) => races.cells.filter((/** @type {any} */ cell) => cell.impl === impl && settingOf(cell, p) === setting);
  const measured = variants.filter((variant) => cellsOf(variant).length);
  const text = (/** @type {any} */ cell) => (!cell ? '—' : `${cell.sessionsLost ? `**${cell.sessionsLost}/${cell.runs}**` : `0/${cell.runs}`}${cell.errors ? ` (${cell.errors} failed to run)` : ''}`);
  const sum = (/** @type {any[]} */ cells, /** @type {string} */ field) => cells.reduce((total, cell) => total + cell[field], 0);
  return [
    `A long storm of the setups that lose the session in some runs only (${races.date}${races.browser ? `, ${races.browser}` : ''}, ${races.runsPerCell} runs per cell, the same storm as above): sessions lost out of the runs that finished:`,
    '',
    `| library, setup | ${tabCounts.map((tabs) => `${tabs} tab${tabs > 1 ? 's' : ''}`).join(' | ')} | lost, all cells |`,
    `|---|${tabCounts.map(() => '---').join('|')}|---|`,
    ...measured.map((variant) => {
      const cells = cellsOf(variant);
      return `| ${setupLabel(variant, { version: true })} | ${tabCounts.map((tabs) => text(cells.find((/** @type {any} */ cell) => cell.tabs === tabs))).join(' | ')} | ${sum(cells, 'sessionsLost')} of ${sum(cells, 'runs')} |`;
    }),
  ].join('\n');
}

/** What tells the libraries apart beside the storm (bench/peers/traits.mjs). @param {any} p @param {(impl: string) => string} name */
function traitsTable(p, name) {
  const kept = (/** @type {string | null | undefined} */ value) => (value === 'lost' ? '**lost**' : value ?? '— (no worker)');
  // Runs before the logout columns existed have neither.
  const withLogout = p.traits.some((/** @type {any} */ row) => row.refreshTokenAfterLogout !== undefined);
  const afterLogout = (/** @type {any} */ row) =>
    withLogout ? ` ${row.providerSessionAfterLogout === 'kept' ? '**kept**' : row.providerSessionAfterLogout ?? '— (no provider)'} | ${row.refreshTokenAfterLogout === 'accepted' ? '**accepted**' : row.refreshTokenAfterLogout ?? '—'} |` : '';
  return [
    `Where page script can read the refresh token the library was handed (localStorage, sessionStorage, document.cookie, every IndexedDB database of the origin; and a heap snapshot of the page), and the session after the service worker is stopped (CDP) and after the browser is closed and started again with the same profile (kept: the next API request succeeds without a new login)${withLogout ? "; then, after the library's logout as its docs log out (at the provider too, RP-initiated, confirmed on the provider's page): the provider's session (ended: a prompt=none request gets login_required) and the last refresh token it was handed (accepted: a refresh grant with it still gets tokens)" : ''}; each library in its first setup above:`,
    '',
    `| library | refresh token readable in | in the page heap | worker stopped | browser restarted |${withLogout ? ' provider session after logout | refresh token after logout |' : ''}`,
    `|---|---|---|---|---|${withLogout ? '---|---|' : ''}`,
    ...p.traits.map((/** @type {any} */ row) =>
      row.error
        ? `| ${name(row.impl)} | could not run: ${row.error} | | | |${withLogout ? ' | |' : ''}`
        : `| ${name(row.impl)} | ${row.refreshTokenIn.length ? row.refreshTokenIn.join(', ') : 'nowhere'} | ${row.refreshTokenInPageHeap ? 'yes' : 'no'} | ${kept(row.afterWorkerStopped)} | ${kept(row.afterBrowserRestart)} |${afterLogout(row)}`,
    ),
  ].join('\n');
}

/** How each library is set up in the peer comparison, where it differs from its users' setup. @param {any} r */
export function peerSetup(r) {
  const p = r.peers;
  if (!p) return '';
  return Object.entries(p.deviations)
    .map(([impl, text]) => `- **${PEER_NAMES[/** @type {keyof typeof PEER_NAMES} */ (impl)] ?? impl}**${p.versions?.[impl] ? ` ${p.versions[impl]}` : ''}: ${text}.`)
    .join('\n');
}

/** The README's one line on what the page loads, from the benchmark's size step. @param {any} r */
export function sizeLine(r) {
  const b = r.bundle;
  const kb = (/** @type {number} */ bytes) => `${(bytes / 1000).toFixed(1)} kB`;
  const bytes = (/** @type {number} */ n) => `${n.toLocaleString('en')} B`;
  const bindings =
    b.reactBindingGzipBytes === undefined
      ? ''
      : b.angularBindingGzipBytes === undefined
        ? `; the React and Vue bindings add ${bytes(b.reactBindingGzipBytes)} and ${bytes(b.vueBindingGzipBytes)}`
        : `; the React, Vue, Svelte and Angular bindings add ${bytes(b.reactBindingGzipBytes)}, ${bytes(b.vueBindingGzipBytes)}, ${bytes(b.svelteBindingGzipBytes)} and ${bytes(b.angularBindingGzipBytes)}`;
  const worker = b.measuredFrom ? `a worker built from \`sw-token-broker/sw\` with \`jsonEndpoint\` is ${kb(b.workerGzipBytes)} (${kb(b.workerOauthGzipBytes)} with \`oidcEndpoint\`)` : `the worker side is ${kb(b.workerGzipBytes)} (${kb(b.workerOauthGzipBytes)} with the OpenID adapter)`;
  const source = b.measuredFrom ? `Measured from the packed package (${b.measuredFrom}) as a bundler builds it, minified, gzip -9, by \`npm run bench\`.` : 'Measured by `npm run bench`.';
  const fallback = b.pageFallbackGzipBytes === undefined ? '' : ` (the page-side fallback, loaded only where no service worker runs, ${kb(b.pageFallbackGzipBytes)} more)`;
  return `The page entry is ${kb(b.pageInitialGzipBytes)} gzipped before registering (axios not counted), ${kb(b.pageGzipBytes)} with every chunk it may load once \`registerTokenBroker\` ran${fallback}${bindings}; ${worker}. ${source}`;
}

/** @param {string} file @param {string} name @param {string} content */
function replaceBetween(file, name, content) {
  const text = readFileSync(file, 'utf8');
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${file} has no ${start} ... ${end} markers`);
  writeFileSync(file, `${text.slice(0, from + start.length)}\n${content}\n${text.slice(to)}`);
}

/** Writes every table and line the results feed, into README.md and docs/benchmark.md. @param {any} results */
export function writeReport(results) {
  replaceBetween('README.md', 'summary', summaryTables(results));
  replaceBetween('README.md', 'size', sizeLine(results));
  replaceBetween('README.md', 'peers', peerTables(results));
  replaceBetween('docs/benchmark.md', 'peers', `${peerTables(results)}\n\nHow each is set up, where that differs from its README, and why:\n\n${peerSetup(results)}`);
  replaceBetween('docs/benchmark.md', 'summary', summaryTables(results));
  replaceBetween('docs/benchmark.md', 'details', detailTables(results));
  console.log('wrote the benchmark tables into README.md and docs/benchmark.md');
}

if (import.meta.url === `file://${process.argv[1]}`) writeReport(JSON.parse(readFileSync(process.argv[2] ?? 'docs/bench.json', 'utf8')));
