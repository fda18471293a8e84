/**
 * What script injected into a page can send the worker, and what the worker does with it:
 * the worker-side half of the attacker suite (tests/e2e/attacker.spec.ts has the browser half).
 */
import { describe, expect, it } from 'vitest';
import { PROTOCOL } from '../../../protocol/index.js';
import { resolveConfig } from '../../../sw/config.js';
import { handleMessage } from '../../../sw/message-handler.js';
import { isSameOriginPath } from '../../../sw/validate-message.js';
import { loggedIn, makeBroker, ScriptedEndpoint } from '../helpers.js';

const envelope = { protocol: PROTOCOL, v: 1, id: 'm1' };

async function send(data: unknown, harness = makeBroker()) {
  const config = resolveConfig({ apiAllowlist: ['https://api.test'], endpoint: harness.endpoint });
  const replies: unknown[] = [];
  await handleMessage(harness.broker, config, data, { postMessage: (m) => replies.push(m) });
  return replies[0] as { ok: boolean; error?: { code: string; message: string } };
}

describe('returnTo is judged on the parsed URL', () => {
  it.each(['/\t/evil.example/landed', '/\n/evil.example', '//evil.example', '/\\evil.example', '/\\\\evil.example', 'https://evil.example/', '/a\u0000b', ''])(
    'refuses %j',
    (returnTo) => {
      expect(isSameOriginPath(returnTo)).toBe(false);
    },
  );

  it.each(['/', '/after?x=1#y', '/a//b', '/%09/evil.example'])('accepts %j, a path on this origin', (returnTo) => {
    expect(isSameOriginPath(returnTo)).toBe(true);
  });
});

describe('structured-clone payloads are plain data or refused', () => {
  it.each([
    ['a 64 MiB ArrayBuffer', () => new ArrayBuffer(64 * 1024 * 1024), 'malformed-message'],
    ['a typed array', () => new Uint8Array(16), 'malformed-message'],
    ['a 100,000-entry Map', () => new Map(Array.from({ length: 100_000 }, (_, i) => [i, i])), 'malformed-message'],
    ['a Date', () => new Date(), 'malformed-message'],
    ['200,000 small strings', () => Array.from({ length: 200_000 }, () => 'x'), 'message-too-large'],
    ['nesting 100 deep', () => JSON.parse('['.repeat(100) + ']'.repeat(100)), 'message-too-large'],
  ])('answers %s in a login with a typed error', async (_label, make, code) => {
    const reply = await send({ ...envelope, type: 'login', credentials: { username: 'demo', password: 'demo' }, extra: make() });
    expect(reply).toMatchObject({ ok: false, error: { code } });
  });
});

describe('a page cannot force rotations', () => {
  it('answers 50 refresh messages without a failed credential with the current token while it is not due', async () => {
    const harness = await loggedIn();
    for (let i = 0; i < 50; i++) expect(await send({ ...envelope, type: 'refresh' }, harness)).toMatchObject({ ok: true, refreshed: false, generation: 1 });
    expect(harness.endpoint.refreshCalls).toHaveLength(0);
    harness.clock.now += 55_000;
    expect(await send({ ...envelope, type: 'refresh' }, harness)).toMatchObject({ ok: true, refreshed: true, generation: 2 });
  });
});

describe('sessions replaced or ended while a refresh is out', () => {
  it('revokes the refresh token of the session a new login replaces', async () => {
    const { broker, endpoint } = await loggedIn();
    await broker.login({ username: 'demo', password: 'demo' });
    await broker.whenIdle();
    expect(endpoint.revoked).toEqual(['refresh-1']);
  });

  it('logs out at once while a refresh hangs, and the late answer neither comes back nor stays usable', async () => {
    const endpoint = new ScriptedEndpoint();
    const { broker, store, events } = await loggedIn({ endpoint });
    endpoint.next = 'hang';
    const refresh = broker.refresh({ failedToken: 'access-1' }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(broker.logout()).resolves.toMatchObject({ loggedIn: false });
    expect(events.map((e) => e.event)).toContain('logged-out');
    endpoint.next = 'ok';
    endpoint.release();
    // Cut off by the logout, and told so: not the server's doing.
    expect(await refresh).toMatchObject({ code: 'session-ended', details: { endedBy: 'logout' } });
    await broker.whenIdle();
    expect(await store.read()).toBeUndefined();
    // Both the logged-out token and the one the late answer issued are revoked.
    expect(endpoint.revoked.sort()).toEqual(['refresh-1', 'refresh-2']);
  });

  it('is safe to repeat: a second logout answers logged out and revokes nothing more', async () => {
    const { broker, endpoint } = await loggedIn();
    await broker.logout();
    await broker.logout();
    await broker.whenIdle();
    expect(endpoint.revoked).toEqual(['refresh-1']);
  });
});
