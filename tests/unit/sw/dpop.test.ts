import { createHash } from 'node:crypto';
import { decodeProtectedHeader, importJWK, jwtVerify, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { jsonEndpoint } from '../../../sw/adapters/json.js';
import { oauth2Endpoint } from '../../../sw/adapters/oauth2.js';
import { resolveConfig } from '../../../sw/config.js';
import { dpopResourceFetch } from '../../../sw/adapters/dpop-proofs.js';
import { generateDpopKey } from '../../../sw/dpop.js';
import { signedFetch } from '../../../sw/sealed-signing.js';
import { makeBroker } from '../helpers.js';
import { PROTOCOL, PROTOCOL_VERSION } from '../../../protocol/index.js';
import { handleMessage } from '../../../sw/message-handler.js';
import { verifyDpopProof } from '../../../server/dpop.js';

/** Verifies a proof like a server would and returns its header and claims. */
async function readProof(proof: string | null) {
  expect(proof).toBeTruthy();
  const header = decodeProtectedHeader(proof!);
  const { payload } = await jwtVerify(proof!, await importJWK(header.jwk as JWK, header.alg), { typ: 'dpop+jwt' });
  return { header, payload };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

describe('DPoP proofs', () => {
  it('signs token requests with the session key: typ, ES256, public jwk only, htm, htu, jti, iat', async () => {
    const key = await generateDpopKey();
    const seen: Request[] = [];
    const endpoint = oauth2Endpoint({ tokenEndpoint: 'https://id.test/oauth/token', clientId: 'spa' });
    await endpoint.refresh('r1', {
      timeoutMs: 1000,
      dpop: key,
      fetch: async (input, init) => {
        seen.push(new Request(input, init));
        return Response.json({ access_token: 'a2', refresh_token: 'r2', token_type: 'DPoP', expires_in: 60 });
      },
    });
    const { header, payload } = await readProof(seen[0].headers.get('dpop'));
    expect(header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256' } });
    expect((header.jwk as JWK).d).toBeUndefined();
    expect(payload).toMatchObject({ htm: 'POST', htu: 'https://id.test/oauth/token', jti: expect.any(String), iat: expect.any(Number) });
    expect(payload.ath).toBeUndefined();
  });

  it('retries a token request once with the nonce the server asked for (use_dpop_nonce)', async () => {
    const key = await generateDpopKey();
    const proofs: string[] = [];
    const endpoint = oauth2Endpoint({ tokenEndpoint: 'https://id.test/oauth/token', clientId: 'spa' });
    const result = await endpoint.refresh('r1', {
      timeoutMs: 1000,
      dpop: key,
      fetch: async (input, init) => {
        proofs.push(new Request(input, init).headers.get('dpop')!);
        if (proofs.length === 1) return Response.json({ error: 'use_dpop_nonce' }, { status: 400, headers: { 'DPoP-Nonce': 'n-1' } });
        return Response.json({ access_token: 'a2', refresh_token: 'r2', token_type: 'DPoP', expires_in: 60 });
      },
    });
    expect(result.accessToken).toBe('a2');
    expect(proofs).toHaveLength(2);
    expect((await readProof(proofs[0])).payload.nonce).toBeUndefined();
    expect((await readProof(proofs[1])).payload.nonce).toBe('n-1');
  });

  it('signs sealed API requests with Authorization: DPoP, ath, htu without the query, and answers a nonce challenge once', async () => {
    const { broker } = makeBroker({
      mode: 'sealed',
      dpop: true,
      endpoint: Object.assign(new (await import('../helpers.js')).ScriptedEndpoint(), { dpopFetch: dpopResourceFetch, tokenType: 'DPoP' }),
    });
    await broker.login({ username: 'demo', password: 'demo' });
    const seen: Request[] = [];
    const response = await signedFetch(new Request('https://api.test/v1/users?page=2', { method: 'POST', body: 'payload' }), broker, async (input) => {
      const request = input as Request;
      seen.push(request);
      if (seen.length === 1) {
        return new Response(null, { status: 401, headers: { 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"', 'DPoP-Nonce': 'rs-1' } });
      }
      return new Response(await request.text(), { status: 200 });
    }, dpopResourceFetch);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('payload');
    expect(seen).toHaveLength(2);
    expect(seen[1].headers.get('authorization')).toBe('DPoP access-1');
    const { payload } = await readProof(seen[1].headers.get('dpop'));
    expect(payload).toMatchObject({ htm: 'POST', htu: 'https://api.test/v1/users', ath: sha256('access-1'), nonce: 'rs-1' });
  });

  it('keeps one key per session: refreshes reuse it, a new login makes a new one', async () => {
    const { ScriptedEndpoint } = await import('../helpers.js');
    const { broker, store, clock } = makeBroker({ mode: 'sealed', dpop: true, endpoint: Object.assign(new ScriptedEndpoint(), { dpopFetch: dpopResourceFetch, tokenType: 'DPoP' }) });
    await broker.login({ username: 'demo', password: 'demo' });
    const first = (await store.read())!.dpop!;
    expect(first.keys.privateKey.extractable).toBe(false);
    clock.now += 61_000;
    await broker.sealedToken();
    expect((await store.read())!.dpop!.id).toBe(first.id);
    await broker.logout();
    await broker.login({ username: 'demo', password: 'demo' });
    expect((await store.read())!.dpop!.id).not.toBe(first.id);
  });

  it('stores the key pair in IndexedDB and reads it back still non-extractable', async () => {
    const { indexedDbStore } = await import('../../../sw/store.js');
    const store = indexedDbStore(`dpop-${Math.random()}`);
    const dpop = await generateDpopKey();
    await store.write({ version: 1, refreshToken: 'r', accessToken: 'a', accessExpiresAt: 2, accessIssuedAt: 1, generation: 1, dpop });
    const back = (await store.read())!.dpop!;
    expect(back.id).toBe(dpop.id);
    expect(back.keys.privateKey.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('jwk', back.keys.privateKey)).rejects.toThrow();
  });

  it('refuses dpop with an adapter that cannot make proofs (handoff mode takes it: the page asks the worker for proofs)', () => {
    const oauth = oauth2Endpoint({ tokenEndpoint: 'https://id.test/token', clientId: 'spa' });
    expect(resolveConfig({ endpoint: oauth, apiAllowlist: ['https://api.test'], dpop: true })).toMatchObject({ mode: 'handoff', dpop: true });
    const json = jsonEndpoint({ loginUrl: 'https://id.test/l', refreshUrl: 'https://id.test/r' });
    expect(() => resolveConfig({ endpoint: json, apiAllowlist: ['https://api.test'], mode: 'sealed', dpop: true })).toThrow(
      new TypeError('config.dpop needs an endpoint that sends DPoP proofs (oauth2Endpoint or oidcEndpoint)'),
    );
  });
});

describe('DPoP proofs for tokens the page holds (handoff mode)', () => {
  const handoffBroker = async () => {
    const { ScriptedEndpoint } = await import('../helpers.js');
    const harness = makeBroker({ dpop: true, endpoint: Object.assign(new ScriptedEndpoint(), { dpopFetch: dpopResourceFetch, tokenType: 'DPoP' }) });
    await harness.broker.login({ username: 'demo', password: 'demo' });
    return harness;
  };
  const ask = async (broker: Awaited<ReturnType<typeof handoffBroker>>['broker'], config: ReturnType<typeof resolveConfig>, fields: Record<string, unknown>) => {
    const replies: Array<Record<string, unknown>> = [];
    await handleMessage(broker, config, { protocol: PROTOCOL, v: PROTOCOL_VERSION, id: 'p', type: 'dpopProof', ...fields }, { postMessage: (m: unknown) => void replies.push(m as Record<string, unknown>) });
    return replies[0];
  };

  it('signs a proof the demo server’s verifier accepts: the session key, htm, htu without the query, ath of the token the page sends, the nonce it got', async () => {
    const { broker, config, store } = await handoffBroker();
    const reply = await ask(broker, config, { method: 'post', url: 'https://api.test/v1/notes?draft=1#x', accessToken: 'access-1', nonce: 'rs-7' });
    expect(reply).toMatchObject({ ok: true, proof: expect.any(String) });
    const proof = reply.proof as string;
    const verified = await verifyDpopProof(proof, { method: 'POST', url: 'https://api.test/v1/notes', accessToken: 'access-1' });
    expect(verified).toMatchObject({ ok: true });
    const { payload, header } = await readProof(proof);
    expect(payload).toMatchObject({ htm: 'POST', htu: 'https://api.test/v1/notes', ath: sha256('access-1'), nonce: 'rs-7' });
    // The key is the session's: its thumbprint is the one the tokens are bound to.
    const key = (await store.read())!.dpop!;
    expect(header.jwk).toEqual(expect.objectContaining(await crypto.subtle.exportKey('jwk', key.keys.publicKey).then(({ x, y }) => ({ x, y }))));
    // A proof for another token does not pass as one for this one.
    expect(await verifyDpopProof(proof, { method: 'POST', url: 'https://api.test/v1/notes', accessToken: 'access-2' })).toMatchObject({ ok: false });
  });

  it('signs nothing for a URL outside the allowlist, and refuses malformed asks', async () => {
    const { broker, config } = await handoffBroker();
    expect(await ask(broker, config, { method: 'GET', url: 'https://evil.example/steal', accessToken: 'access-1' })).toMatchObject({ ok: false, error: { code: 'not-supported' } });
    expect(await ask(broker, config, { method: 'TRACE', url: 'https://api.test/v1/x', accessToken: 'access-1' })).toMatchObject({ ok: false, error: { code: 'malformed-message' } });
    expect(await ask(broker, config, { method: 'GET', url: 'javascript:alert(1)', accessToken: 'access-1' })).toMatchObject({ ok: false, error: { code: 'malformed-message' } });
    expect(await ask(broker, config, { method: 'GET', url: 'https://api.test/v1/x', accessToken: 'access-1', nonce: 'a\nb' })).toMatchObject({ ok: false, error: { code: 'malformed-message' } });
  });

  it('answers no proof for a session whose tokens are not bound', async () => {
    const { ScriptedEndpoint } = await import('../helpers.js');
    const { broker, config } = makeBroker({ endpoint: new ScriptedEndpoint() });
    await broker.login({ username: 'demo', password: 'demo' });
    expect(await ask(broker, config, { method: 'GET', url: 'https://api.test/v1/x', accessToken: 'access-1' })).toEqual({ id: 'p', ok: true });
  });
});
