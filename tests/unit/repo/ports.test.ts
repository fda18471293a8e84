import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { benchPorts, demoPorts, peerPorts, soakPorts, testPorts } from '../../../scripts/ports.mjs';

/** Runs a command to its end; its exit code and output. */
function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

let holder: Server | undefined;
/** Holds a free port on 127.0.0.1, as another program would. */
async function holdAPort(): Promise<number> {
  holder = createServer();
  await new Promise<void>((resolve) => holder!.listen(0, '127.0.0.1', resolve));
  return (holder.address() as { port: number }).port;
}
afterEach(() => holder?.close());

describe('ports', () => {
  it('a port in use stops the demo before it builds, with one sentence naming the port and its variable', async () => {
    const port = await holdAPort();
    const { code, output } = await run(['scripts/ports.mjs', 'demo'], { PORT: String(port), VAULT_PORT: String(port + 1) });
    expect(code).toBe(1);
    expect(output.trim()).toBe(`Port ${port} (the demo) is already in use on 127.0.0.1: stop what holds it, or pick another port with PORT=<port>.`);
  });

  it('names the test servers\' variables too', async () => {
    const port = await holdAPort();
    const { code, output } = await run(['scripts/ports.mjs', 'test'], { OIDC_PORT: String(port) });
    expect(code).toBe(1);
    expect(output).toContain(`Port ${port} (the demo server against oidc-provider) is already in use on 127.0.0.1: stop what holds it, or pick another port with OIDC_PORT=<port>.`);
  });

  it('the demo server says the same sentence when it loses the port to another program after the check', async () => {
    const port = await holdAPort();
    const free = createServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
    const vaultPort = (free.address() as { port: number }).port;
    await new Promise((resolve) => free.close(resolve));
    // Built by npm test before the unit tests run.
    const { code, output } = await run(['dist/server/main.js'], { PORT: String(port), VAULT_PORT: String(vaultPort) });
    expect(code).toBe(1);
    expect(output.trim()).toBe(`Port ${port} (the demo server) is already in use on 127.0.0.1: stop what holds it, or pick another port with PORT=<port>.`);
  });

  it('CONTRIBUTING.md lists every port with its variable and default', () => {
    const readme = readFileSync('CONTRIBUTING.md', 'utf8');
    const rows = [...readme.matchAll(/^\| (\d{4}) \| `([A-Z0-9_]+)`/gm)].map((match) => [Number(match[1]), match[2]]);
    const env = { ...process.env };
    for (const variable of ['PORT', 'VAULT_PORT', 'BENCH_PORT', 'BENCH_VAULT_PORT', ...testPorts().map((use) => use.variable), ...peerPorts().map((use) => use.variable), 'SOAK_PORT']) delete process.env[variable];
    try {
      const all = [...demoPorts(), ...testPorts(), ...benchPorts(), ...peerPorts(), ...soakPorts()].map((use) => [use.port, use.variable]);
      expect(rows).toEqual(all);
    } finally {
      Object.assign(process.env, env);
    }
  });
});
