// @ts-check
/**
 * docs/bench.svg from one run's results: refreshes and failed requests per tab count for
 * the broker, the per-tab recipes and the peer libraries, and each mode's p50 against its floor (with the
 * spread of the round medians). Plain SVG, no dependency.
 */

const COLORS = { broker: '#1a7f37', fallback: '#57606a', recipe: '#cf222e', 'axios-auth-refresh': '#9a6700', 'auth0-spa-js': '#bc4c00', 'oidc-client-ts': '#8250df', 'axa-oidc-client': '#0969da', 'keycloak-js': '#1b7c83', 'okta-auth-js': '#6e7781', 'msal-browser': '#bf3989', 'supabase-auth-js': '#4d2d00' };
const MODE_COLORS = { plain: '#8c959f', passthrough: '#8c959f', handoff: '#1a7f37', sealed: '#0969da', vault: '#8250df' };
const esc = (/** @type {string} */ text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** @param {any} results @returns {string} */
export function renderChart(results) {
  const width = 1080;
  const height = 380;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="22" font-size="15" font-weight="600">sw-token-broker benchmark: ${esc(results.browser)}, ${results.cpus} cpus</text>`,
  ];
  // The peers (bench/peers/) beside the recipes, at the common token lifetime; the broker's own line is the main run's.
  const peerRows = (results.peers?.storm ?? []).filter((/** @type {any} */ row) => row.impl !== 'broker' && (row.primary ?? row.ttlS === results.peers.settings.ttlS) && row.refreshes !== null);
  const storms = [...results.storm, ...peerRows];
  parts.push(linePanel({ x: 16, y: 44, w: 330, h: 300, title: 'Refreshes per storm (after expiry)', rows: storms, value: (/** @type {any} */ row) => row.refreshes, log: true }));
  parts.push(linePanel({ x: 376, y: 44, w: 330, h: 300, title: 'Failed requests per storm (%)', rows: storms, value: (/** @type {any} */ row) => (100 * row.failed) / row.requests, log: false, max: 100 }));
  parts.push(overheadPanel({ x: 736, y: 44, w: 328, h: 300, rows: results.overhead }));
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/**
 * @param {{ x: number, y: number, w: number, h: number, title: string, rows: any[], value: (row: any) => number, log: boolean, max?: number }} panel
 */
function linePanel({ x, y, w, h, title, rows, value, log, max }) {
  const tabs = [...new Set(rows.map((row) => row.tabs))].sort((a, b) => a - b);
  const left = x + 40;
  const right = x + w - 8;
  const top = y + 28;
  const bottom = y + h - 40;
  const top_value = max ?? Math.max(2, ...rows.map(value));
  const scaleY = (/** @type {number} */ v) =>
    log ? bottom - ((Math.log2(Math.max(v, 1)) / Math.log2(top_value)) * (bottom - top)) : bottom - (v / top_value) * (bottom - top);
  const scaleX = (/** @type {number} */ t) => left + (tabs.indexOf(t) / Math.max(1, tabs.length - 1)) * (right - left);
  const out = [`<text x="${x}" y="${y + 12}" font-weight="600">${esc(title)}</text>`];
  const ticks = log ? [1, 2, 4, 8, 16, 32, 64, 128, 256, 512].filter((t) => t <= top_value) : [0, 25, 50, 75, 100];
  for (const tick of ticks) {
    const ty = scaleY(tick);
    out.push(`<line x1="${left}" x2="${right}" y1="${ty}" y2="${ty}" stroke="#eaeef2"/>`, `<text x="${left - 6}" y="${ty + 4}" text-anchor="end" fill="#57606a">${tick}</text>`);
  }
  for (const t of tabs) out.push(`<text x="${scaleX(t)}" y="${bottom + 16}" text-anchor="middle" fill="#57606a">${t}</text>`);
  out.push(`<text x="${(left + right) / 2}" y="${bottom + 32}" text-anchor="middle" fill="#57606a">tabs</text>`);
  // Right of the recipes' last point (8 tabs) and above the broker's line: an empty corner.
  const legendX = right - 130;
  // Eleven series: the legend starts near the top so it stays inside the panel.
  let legendY = top + 8;
  for (const impl of Object.keys(COLORS)) {
    const series = rows.filter((row) => row.impl === impl).sort((a, b) => a.tabs - b.tabs);
    if (!series.length) continue;
    const color = COLORS[/** @type {keyof typeof COLORS} */ (impl)];
    const points = series.map((row) => `${scaleX(row.tabs).toFixed(1)},${scaleY(value(row)).toFixed(1)}`);
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.join(' ')}"/>`);
    for (const point of points) out.push(`<circle cx="${point.split(',')[0]}" cy="${point.split(',')[1]}" r="3" fill="${color}"/>`);
    out.push(`<rect x="${legendX}" y="${legendY - 8}" width="10" height="10" fill="${color}"/>`, `<text x="${legendX + 14}" y="${legendY + 1}">${esc(impl)}</text>`);
    legendY += 16;
  }
  return out.join('\n');
}

/** @param {{ x: number, y: number, w: number, h: number, rows: any[] }} panel */
function overheadPanel({ x, y, w, h, rows }) {
  const out = [
    `<text x="${x}" y="${y + 12}" font-weight="600">p50 per request, ms, against its floor</text>`,
    `<text x="${x}" y="${y + h - 8}" fill="#57606a">bar: median of rounds; line: lowest to highest round</text>`,
  ];
  const left = x + 80;
  const right = x + w - 16;
  const top = y + 32;
  const rowHeight = Math.min(52, (h - 50) / Math.max(1, rows.length));
  const maxMs = Math.max(...rows.map((row) => row.spread?.[1] ?? row.p50Ms)) * 1.05;
  const scale = (/** @type {number} */ ms) => left + (ms / maxMs) * (right - left);
  rows.forEach((row, i) => {
    const cy = top + i * rowHeight + rowHeight / 2;
    const color = MODE_COLORS[/** @type {keyof typeof MODE_COLORS} */ (row.mode)] ?? '#57606a';
    out.push(
      `<text x="${left - 8}" y="${cy + 4}" text-anchor="end">${esc(row.mode)}</text>`,
      `<rect x="${left}" y="${cy - 9}" width="${(scale(row.p50Ms) - left).toFixed(1)}" height="18" fill="${color}" opacity="0.85"/>`,
    );
    if (row.spread) {
      const [low, high] = row.spread.map(scale);
      out.push(`<line x1="${low.toFixed(1)}" x2="${high.toFixed(1)}" y1="${cy}" y2="${cy}" stroke="#24292f" stroke-width="2"/>`);
    }
    const ratio = row.ratioToFloor ? `, ${row.ratioToFloor}× ${row.floor}` : ' (floor)';
    out.push(`<text x="${left}" y="${cy - 12}" fill="#24292f">${row.p50Ms} ms${esc(ratio)}</text>`);
  });
  return out.join('\n');
}
