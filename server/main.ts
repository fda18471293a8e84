/** `npm run demo`: the mock auth server, the API and the built demo on one port. */
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createApp } from './app.js';
import { portInUseMessage } from '../scripts/port-in-use.mjs';

const port = Number(process.env.PORT ?? 5173);
const accessTtlSeconds = Number(process.env.ACCESS_TTL ?? 30);
const refreshDelayMs = Number(process.env.REFRESH_DELAY_MS ?? 100);
const rotationGraceMs = Number(process.env.ROTATION_GRACE_MS ?? 0);
if (!(rotationGraceMs >= 0)) throw new Error(`ROTATION_GRACE_MS must be a number of ms >= 0, not ${process.env.ROTATION_GRACE_MS}`);
if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`PORT must be a port number, not ${process.env.PORT}`);
if (!(accessTtlSeconds > 0)) throw new Error(`ACCESS_TTL must be a number of seconds > 0, not ${process.env.ACCESS_TTL}`);

const staticRoot = process.env.DEMO_ROOT ?? fileURLToPath(new URL('../demo/', import.meta.url));
const idp = process.env.IDP ?? 'mock';
if (idp !== 'mock' && idp !== 'oidc') throw new Error(`IDP must be mock or oidc, not ${idp}`);
const origin = `http://127.0.0.1:${port}`;
const pwaV2Root = fileURLToPath(new URL('../pwa-v2/', import.meta.url));
// Loaded only when asked for: oidc-provider prints warnings about Node 20 at import.
const createOidc = idp === 'oidc' ? (await import('./oidc.js')).createOidcProvider : undefined;
// Vault mode's demo: the vault (its frame, worker and storage) is this server on a second
// port: another origin, but the same site as the app, as vault.example.com is to
// app.example.com. A cross-site vault (localhost beside 127.0.0.1) is refused a service
// worker by Chromium when third-party cookies are blocked.
const vaultPort = Number(process.env.VAULT_PORT ?? port + 1);
if (!Number.isInteger(vaultPort) || vaultPort <= 0 || vaultPort > 65535 || vaultPort === port) throw new Error(`VAULT_PORT must be a port number other than PORT, not ${process.env.VAULT_PORT}`);
const vaultOrigin = `http://127.0.0.1:${vaultPort}`;
const { server } = createApp({
  accessTtlSeconds,
  staticRoot,
  refreshDelayMs,
  testHooks: process.env.TEST_HOOKS === '1',
  createOidc,
  origin,
  pwaV2Root,
  rotationGraceMs,
  // The vault's origin calls the API in vault mode; the several-APIs demo calls the second API (on the vault's port) from the app's.
  corsOrigins: [vaultOrigin, origin],
  vaultOrigin,
  crossOriginIsolated: process.env.CROSS_ORIGIN_ISOLATED === '1',
});
// The same handler (same mock server state) answers on the vault's port.
const vaultServer = createServer((req, res) => server.emit('request', req, res));
/** A port someone else holds: one sentence naming it and its variable, instead of a stack. */
const onListenError = (variable: string, used: number, what: string) => (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EADDRINUSE') throw error;
  console.error(portInUseMessage({ port: used, what, variable }));
  process.exit(1);
};
// Idle keep-alive sockets outlive any client's (Node's default, 5 s, races a client reusing
// a socket just as the server closes it: seen as ECONNRESET on a loaded machine).
for (const each of [server, vaultServer]) {
  each.keepAliveTimeout = 65_000;
  each.headersTimeout = 66_000;
}
server.on('error', onListenError('PORT', port, 'the demo server'));
vaultServer.on('error', onListenError('VAULT_PORT', vaultPort, "the demo server's vault"));
// Both listening, then the URL, last and on its own line (harnesses wait for it).
await Promise.all([new Promise<void>((resolve) => vaultServer.listen(vaultPort, '127.0.0.1', resolve)), new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))]);
const against = idp === 'oidc' ? 'the embedded oidc-provider (under /oidc)' : 'the mock auth server';
console.log(`sw-token-broker demo against ${against}, access tokens live ${accessTtlSeconds} s; vault mode's vault on port ${vaultPort}.`);
console.log(`\n  Open ${origin}/\n`);
const stop = () => {
  vaultServer.close();
  server.close(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
