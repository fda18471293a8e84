// @ts-check
/**
 * Every port the demo, the test servers and the benchmark listen on (all on 127.0.0.1),
 * each with the environment variable that moves it, and a check that says in one sentence
 * which one is taken before anything is built or started.
 */
import { createServer } from 'node:net';
import { portInUseMessage } from './port-in-use.mjs';

/** @typedef {{ variable: string, port: number, what: string }} PortUse */

/** @param {string} variable @param {number} fallback */
function portFrom(variable, fallback) {
  const raw = process.env[variable];
  const port = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`${variable} must be a port number (1-65535), not ${raw}`);
  return port;
}

/** `npm run demo`: the demo and its vault (vault mode's second origin). */
export function demoPorts() {
  const port = portFrom('PORT', 5173);
  return /** @type {PortUse[]} */ ([
    { variable: 'PORT', port, what: 'the demo' },
    { variable: 'VAULT_PORT', port: portFrom('VAULT_PORT', port + 1), what: "the demo's vault (vault mode)" },
  ]);
}

/** The servers Playwright starts for the end-to-end tests (see playwright.config.ts). */
export function testPorts() {
  return /** @type {PortUse[]} */ ([
    { variable: 'E2E_PORT', port: portFrom('E2E_PORT', 5301), what: 'the demo server the end-to-end tests drive' },
    { variable: 'FOREIGN_PORT', port: portFrom('FOREIGN_PORT', 5302), what: 'the foreign origin that records what reaches it' },
    { variable: 'OIDC_PORT', port: portFrom('OIDC_PORT', 5303), what: 'the demo server against oidc-provider' },
    { variable: 'NODE_OAUTH_PORT', port: portFrom('NODE_OAUTH_PORT', 5304), what: 'the @node-oauth/oauth2-server fixture' },
    { variable: 'JMONDI_PORT', port: portFrom('JMONDI_PORT', 5305), what: 'the @jmondi/oauth2-server fixture' },
    { variable: 'EXAMPLE_PORT', port: portFrom('EXAMPLE_PORT', 5306), what: 'the example app built from the packed package' },
    { variable: 'EXAMPLE_DEV_PORT', port: portFrom('EXAMPLE_DEV_PORT', 5307), what: 'the example app under vite dev' },
    { variable: 'E2E_VAULT_PORT', port: portFrom('E2E_VAULT_PORT', 5308), what: "the test demo server's vault" },
    { variable: 'OIDC_VAULT_PORT', port: portFrom('OIDC_VAULT_PORT', 5309), what: "the oidc-provider demo server's vault" },
    { variable: 'DOT_PORT', port: portFrom('DOT_PORT', 5310), what: 'the Django OAuth Toolkit provider' },
    { variable: 'GLEWLWYD_PORT', port: portFrom('GLEWLWYD_PORT', 5311), what: 'the Glewlwyd provider (its public origin)' },
    { variable: 'REACT_EXAMPLE_PORT', port: portFrom('REACT_EXAMPLE_PORT', 5312), what: 'the React example built from the packed package' },
    { variable: 'VUE_EXAMPLE_PORT', port: portFrom('VUE_EXAMPLE_PORT', 5313), what: 'the Vue example built from the packed package' },
    { variable: 'REACT_EXAMPLE_DEV_PORT', port: portFrom('REACT_EXAMPLE_DEV_PORT', 5314), what: 'the React example under vite dev (StrictMode runs effects twice there)' },
    { variable: 'SVELTE_EXAMPLE_PORT', port: portFrom('SVELTE_EXAMPLE_PORT', 5315), what: 'the Svelte example built from the packed package' },
    { variable: 'ANGULAR_EXAMPLE_PORT', port: portFrom('ANGULAR_EXAMPLE_PORT', 5316), what: 'the Angular example built from the packed package' },
  ]);
}

/** `npm run bench`: the benchmark's demo server and its vault. */
export function benchPorts() {
  const port = portFrom('BENCH_PORT', 5401);
  return /** @type {PortUse[]} */ ([
    { variable: 'BENCH_PORT', port, what: "the benchmark's demo server" },
    { variable: 'BENCH_VAULT_PORT', port: portFrom('BENCH_VAULT_PORT', port + 1), what: "the benchmark's vault" },
  ]);
}

/** `npm run soak`: its own demo server (the soak changes the server's settings for its whole run). */
export function soakPorts() {
  return /** @type {PortUse[]} */ ([{ variable: 'SOAK_PORT', port: portFrom('SOAK_PORT', 5420), what: "the soak's demo server" }]);
}

/** `npm run bench`'s peer comparison: one provider, one origin per library (bench/peers/). */
export function peerPorts() {
  const port = portFrom('PEER_IDP_PORT', 5403);
  return /** @type {Array<PortUse & { peer?: string }>} */ ([
    { variable: 'PEER_IDP_PORT', port, what: "the peer comparison's oidc-provider" },
    { variable: 'PEER_BROKER_PORT', port: portFrom('PEER_BROKER_PORT', port + 1), what: 'the peer comparison: the broker', peer: 'broker' },
    { variable: 'PEER_AUTH0_PORT', port: portFrom('PEER_AUTH0_PORT', port + 2), what: 'the peer comparison: auth0-spa-js', peer: 'auth0-spa-js' },
    { variable: 'PEER_OIDC_CLIENT_PORT', port: portFrom('PEER_OIDC_CLIENT_PORT', port + 3), what: 'the peer comparison: oidc-client-ts', peer: 'oidc-client-ts' },
    { variable: 'PEER_AXA_PORT', port: portFrom('PEER_AXA_PORT', port + 4), what: 'the peer comparison: @axa-fr/oidc-client', peer: 'axa-oidc-client' },
    { variable: 'PEER_KEYCLOAK_PORT', port: portFrom('PEER_KEYCLOAK_PORT', port + 5), what: 'the peer comparison: keycloak-js', peer: 'keycloak-js' },
    { variable: 'PEER_SUPABASE_PORT', port: portFrom('PEER_SUPABASE_PORT', port + 6), what: 'the peer comparison: supabase auth-js (and its GoTrue-compatible endpoint)', peer: 'supabase-auth-js' },
    { variable: 'PEER_OKTA_PORT', port: portFrom('PEER_OKTA_PORT', port + 7), what: 'the peer comparison: okta-auth-js', peer: 'okta-auth-js' },
    { variable: 'PEER_MSAL_PORT', port: portFrom('PEER_MSAL_PORT', port + 8), what: 'the peer comparison: msal-browser', peer: 'msal-browser' },
    { variable: 'PEER_MSAL_IDP_PORT', port: portFrom('PEER_MSAL_IDP_PORT', port + 9), what: "the peer comparison: msal-browser's https provider" },
  ]);
}

/** Resolves true when `port` on 127.0.0.1 can be listened on. @param {number} port */
export function isPortFree(port) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/**
 * Checks every port, and when any is taken prints one sentence per taken port and exits
 * with status 1. Also refuses two uses of one port.
 * @param {PortUse[]} uses
 */
export async function requireFreePorts(uses) {
  const problems = [];
  const seen = new Map();
  for (const use of uses) {
    if (seen.has(use.port)) problems.push(`${use.variable} and ${seen.get(use.port)} are both ${use.port}: give them different ports.`);
    seen.set(use.port, use.variable);
  }
  for (const use of uses) if (!(await isPortFree(use.port))) problems.push(portInUseMessage(use));
  if (problems.length === 0) return;
  for (const problem of problems) console.error(problem);
  process.exit(1);
}

// `node scripts/ports.mjs demo|test|bench`: the check alone, for npm scripts to run before they build.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const which = /** @type {Record<string, () => PortUse[]>} */ ({ demo: demoPorts, test: testPorts, bench: () => [...benchPorts(), ...peerPorts()] })[process.argv[2] ?? ''];
  if (!which) {
    console.error('usage: node scripts/ports.mjs demo|test|bench');
    process.exit(2);
  }
  await requireFreePorts(which());
}
