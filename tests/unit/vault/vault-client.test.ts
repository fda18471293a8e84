/**
 * vault/vault-client.ts: the app's side of vault mode over a real MessagePort to a scripted
 * frame: replies matched by id, errors rebuilt as their classes, a frame that does not answer,
 * and `createVaultFetch` turning the vault's answers into fetch's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SessionEndedError, toWireError, type VaultReply } from '../../../protocol/index.js';
import { createVaultFetch, VaultClient } from '../../../vault/index.js';

const ports: MessagePort[] = [];
afterEach(() => ports.splice(0).forEach((port) => port.close()));

/** A VaultClient whose frame is `answer`, run on the other end of a MessageChannel. */
function clientWith(answer: (call: Record<string, unknown>) => Omit<VaultReply, 'id'> | Promise<Omit<VaultReply, 'id'>> | undefined, timeoutMs = 1000) {
  const channel = new MessageChannel();
  ports.push(channel.port1, channel.port2);
  const calls: Array<Record<string, unknown>> = [];
  channel.port2.onmessage = async (event) => {
    calls.push(event.data);
    const reply = await answer(event.data);
    if (reply) channel.port2.postMessage({ ...reply, id: event.data.id });
  };
  let removed = false;
  const frame = { remove: () => void (removed = true) } as unknown as HTMLIFrameElement;
  const client = new VaultClient(frame, channel.port1, 'https://vault.test', 'password', timeoutMs);
  return { client, calls, removed: () => removed };
}

describe('the vault client', () => {
  it('matches replies to calls by id, however the frame orders them', async () => {
    const { client, calls } = clientWith(async (call) => {
      // The status answers last.
      if (call.type === 'status') await new Promise((resolve) => setTimeout(resolve, 30));
      return { ok: true, result: { type: call.type } };
    });
    const [status, logout] = await Promise.all([client.status(), client.logout()]);
    expect(status).toEqual({ type: 'status' });
    expect(logout).toEqual({ type: 'logout' });
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
  });

  it('rebuilds the frame’s errors as their classes, code and details kept', async () => {
    const { client } = clientWith(() => ({ ok: false, error: toWireError(new SessionEndedError('ended by the server', { details: { status: 400 } })) }));
    const error = await client.status().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionEndedError);
    expect(error).toMatchObject({ code: 'session-ended', details: { status: 400 } });
  });

  it('rejects with a timeout when the frame does not answer, naming the call', async () => {
    const { client } = clientWith(() => undefined, 50);
    await expect(client.status()).rejects.toMatchObject({ name: 'BrokerTimeoutError', message: 'The vault did not answer status within 50 ms' });
  });

  it('removes its frame on close', () => {
    const { client, removed } = clientWith(() => undefined);
    client.close();
    expect(removed()).toBe(true);
  });
});

describe('createVaultFetch', () => {
  it('sends method, URL, headers and a text body; GET sends none', async () => {
    const { client, calls } = clientWith(() => ({ ok: true, result: { status: 201, statusText: 'Created', headers: { 'content-type': 'application/json' }, body: '{"id":1}' } }));
    const vaultFetch = createVaultFetch(client);
    const response = await vaultFetch('https://api.test/notes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"a"}' });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ id: 1 });
    await vaultFetch('https://api.test/notes');
    expect(calls.map((c) => c.request)).toEqual([
      { method: 'POST', url: 'https://api.test/notes', headers: { 'content-type': 'application/json' }, body: '{"text":"a"}' },
      { method: 'GET', url: 'https://api.test/notes', headers: {}, body: null },
    ]);
  });

  it('turns status 0 (a network failure or a redirect in the vault) into fetch’s TypeError, and a 204 into a bodiless response', async () => {
    let next = { status: 0, statusText: 'The vault could not reach https://api.test/x: refused', headers: {}, body: '' };
    const { client } = clientWith(() => ({ ok: true, result: next }));
    const vaultFetch = createVaultFetch(client);
    await expect(vaultFetch('https://api.test/x')).rejects.toThrow(TypeError);
    next = { status: 204, statusText: 'No Content', headers: {}, body: '' };
    const response = await vaultFetch('https://api.test/x', { method: 'DELETE' });
    expect(response.status).toBe(204);
    expect(response.body).toBeNull();
  });
});
