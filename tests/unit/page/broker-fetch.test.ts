import { beforeAll, describe, expect, it } from 'vitest';
import { createBrokerFetch } from '../../../src/broker-fetch.js';
import { connectClient, installPageGlobals, ScriptedWorker } from '../page-helpers.js';

beforeAll(() => {
  installPageGlobals('https://app.test/page');
});

/** A server that accepts only `accepted()` and records what it saw; the body echoes back. */
function server(accepted: () => string) {
  const seen: Array<{ url: string; authorization: string | null; body: string }> = [];
  const fetchFn: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const body = await request.text();
    seen.push({ url: request.url, authorization: request.headers.get('authorization'), body });
    return request.headers.get('authorization') === `Bearer ${accepted()}` ? new Response(body || 'ok') : new Response('', { status: 401 });
  };
  return { seen, fetchFn };
}

describe('createBrokerFetch', () => {
  it('attaches the token to allowlisted URLs only', async () => {
    const worker = new ScriptedWorker();
    const api = server(() => `token-${worker.current}`);
    const brokerFetch = createBrokerFetch(await connectClient(worker), { fetch: api.fetchFn });
    await brokerFetch('https://api.test/data');
    await brokerFetch('https://other.test/data');
    await brokerFetch('https://api.test.evil.test/data');
    expect(api.seen.map((s) => [s.url, s.authorization])).toEqual([
      ['https://api.test/data', 'Bearer token-1'],
      ['https://other.test/data', null],
      ['https://api.test.evil.test/data', null],
    ]);
  });

  it('sends one refresh for 20 concurrent 401s and retries each once, body included', async () => {
    const worker = new ScriptedWorker();
    const api = server(() => 'token-2');
    const brokerFetch = createBrokerFetch(await connectClient(worker), { fetch: api.fetchFn });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => brokerFetch('https://api.test/data', { method: 'POST', body: `n=${i}` })));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(await Promise.all(answers.map((a) => a.text()))).toEqual(Array.from({ length: 20 }, (_, i) => `n=${i}`));
    expect(worker.refreshCalls).toBe(1);
  });

  it('returns a second 401 as it is, never looping', async () => {
    const worker = new ScriptedWorker();
    const api = server(() => 'nobody');
    const brokerFetch = createBrokerFetch(await connectClient(worker), { fetch: api.fetchFn });
    expect((await brokerFetch('https://api.test/data')).status).toBe(401);
    expect(api.seen).toHaveLength(2);
  });

  it('rejects with the typed error when the refresh fails', async () => {
    const worker = new ScriptedWorker();
    worker.failWith = 'session-ended';
    const brokerFetch = createBrokerFetch(await connectClient(worker), { fetch: server(() => 'nobody').fetchFn });
    await expect(brokerFetch('https://api.test/data')).rejects.toMatchObject({ code: 'session-ended' });
  });

  it('passes requests through untouched in sealed mode (the worker signs and retries)', async () => {
    const worker = new ScriptedWorker();
    worker.mode = 'sealed';
    const api = server(() => 'x');
    const brokerFetch = createBrokerFetch(await connectClient(worker), { fetch: api.fetchFn });
    expect((await brokerFetch('https://api.test/data')).status).toBe(401);
    expect(api.seen).toEqual([{ url: 'https://api.test/data', authorization: null, body: '' }]);
    expect(worker.refreshCalls + worker.getCalls).toBe(0);
  });

  it('refuses what is not a broker with a TypeError', () => {
    expect(() => createBrokerFetch({} as never)).toThrow(new TypeError('createBrokerFetch needs a BrokerClient'));
  });

  it.each(['handoff', 'sealed'] as const)('rejects an RFC 9470 step-up 401 with StepUpRequiredError (%s): no refresh, no retry', async (mode) => {
    const worker = new ScriptedWorker();
    worker.mode = mode;
    let calls = 0;
    const fetchFn: typeof fetch = async () => {
      calls++;
      return new Response('', { status: 401, headers: { 'www-authenticate': 'Bearer error="insufficient_user_authentication", max_age="0"' } });
    };
    const brokerFetch = createBrokerFetch(await connectClient(worker), { fetch: fetchFn });
    await expect(brokerFetch('https://api.test/payments', { method: 'POST', body: '{}' })).rejects.toMatchObject({ code: 'step-up-required', details: { maxAge: 0 } });
    expect(calls).toBe(1);
    expect(worker.refreshCalls).toBe(0);
    // Outside the allowlist it is not the broker's: the response comes back as it is.
    expect((await brokerFetch('https://other.test/x')).status).toBe(401);
  });

  it('with DPoP-bound tokens sends Authorization: DPoP and the worker’s proof; a URL outside the allowlist gets neither', async () => {
    const worker = new ScriptedWorker();
    worker.dpopBound = true;
    const seen: Array<[string, string | null, string | null]> = [];
    const fetchFn: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      seen.push([request.url, request.headers.get('authorization'), request.headers.get('dpop')]);
      return new Response('ok');
    };
    const brokerFetch = createBrokerFetch(await connectClient(worker), { fetch: fetchFn });
    await brokerFetch('https://api.test/data', { method: 'DELETE' });
    await brokerFetch('https://other.test/data');
    expect(seen).toEqual([
      ['https://api.test/data', 'DPoP token-1', 'proof(DELETE https://api.test/data token-1)'],
      ['https://other.test/data', null, null],
    ]);
  });

  it('with DPoP answers a use_dpop_nonce 401 once with the server’s nonce in a new proof, body kept, no refresh', async () => {
    const worker = new ScriptedWorker();
    worker.dpopBound = true;
    const seen: Array<[string | null, string]> = [];
    const fetchFn: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      const proof = request.headers.get('dpop');
      seen.push([proof, await request.text()]);
      if (!proof?.endsWith(' n-9)')) return new Response('', { status: 401, headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'n-9' } });
      return new Response('ok');
    };
    const brokerFetch = createBrokerFetch(await connectClient(worker), { fetch: fetchFn });
    expect((await brokerFetch('https://api.test/notes', { method: 'POST', body: 'note' })).status).toBe(200);
    expect(seen).toEqual([
      ['proof(POST https://api.test/notes token-1)', 'note'],
      ['proof(POST https://api.test/notes token-1 n-9)', 'note'],
    ]);
    expect(worker.refreshCalls).toBe(0);
  });
});
