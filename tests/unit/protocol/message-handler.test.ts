import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES, PROTOCOL } from '../../../protocol/index.js';
import { jsonEndpoint } from '../../../sw/adapters/json.js';
import { resolveConfig } from '../../../sw/config.js';
import { handleMessage } from '../../../sw/message-handler.js';
import { makeBroker } from '../helpers.js';
import { TokenBroker } from '../../../sw/broker.js';
import { inMemoryLocks } from '../../../sw/lock.js';
import { memoryStore } from '../../../sw/store.js';

const envelope = { protocol: PROTOCOL, v: 1, id: 'm1' };

/** Routes `data` like the worker's message listener and returns the reply, or 'ignored'. */
async function send(data: unknown, options: { ownsAllMessages?: boolean } = {}, harness = makeBroker(options)) {
  const config = resolveConfig({ apiAllowlist: ['https://api.test'], endpoint: harness.endpoint, ownsAllMessages: options.ownsAllMessages });
  const replies: unknown[] = [];
  const done = handleMessage(harness.broker, config, data, { postMessage: (m) => replies.push(m) });
  if (!done) return 'ignored';
  await done;
  expect(replies).toHaveLength(1);
  return replies[0] as { ok: boolean; id?: string; error?: { code: string; message: string } };
}

describe('message validation', () => {
  it('answers a ping with the protocol version, name and mode', async () => {
    expect(await send({ ...envelope, type: 'ping' })).toEqual({
      ok: true,
      id: 'm1',
      version: 1,
      name: 'test',
      mode: 'handoff',
      apiAllowlist: ['https://api.test'],
      lifetimes: { warnBeforeMs: 60_000, keepAlive: 'open' },
      loginKind: 'password',
      status: { loggedIn: false, accessExpiresAt: null, generation: null, mode: 'handoff', refreshRetryAt: null, workerStartedAt: expect.any(Number), persisted: null, dpopBound: null, claims: null, session: null, sessionExpiresAt: null, idleExpiresAt: null },
    });
  });

  it('answers an unknown type with unknown-type', async () => {
    expect(await send({ ...envelope, type: 'stealRefreshToken' })).toEqual({
      ok: false,
      id: 'm1',
      error: { code: 'unknown-type', message: 'Unknown message type: stealRefreshToken' },
    });
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])('answers the inherited property name %s as a type with unknown-type', async (type) => {
    expect(await send({ ...envelope, type })).toEqual({ ok: false, id: 'm1', error: { code: 'unknown-type', message: `Unknown message type: ${type}` } });
  });

  it('answers a message over 64 KiB with message-too-large', async () => {
    const reply = await send({ ...envelope, type: 'login', credentials: { username: 'x'.repeat(MAX_MESSAGE_BYTES) } });
    expect(reply).toMatchObject({ ok: false, id: 'm1', error: { code: 'message-too-large' } });
  });

  it('answers another protocol version with protocol-mismatch, telling the page to reload', async () => {
    expect(await send({ ...envelope, v: 0, type: 'ping' })).toEqual({
      ok: false,
      id: 'm1',
      error: {
        code: 'protocol-mismatch',
        message: 'The page speaks protocol version 0 and the worker 1; reload the page to update it',
      },
    });
  });

  it.each([
    ['a missing id', { protocol: PROTOCOL, v: 1, type: 'ping' }],
    ['credentials that are not an object', { ...envelope, type: 'login', credentials: 'demo:demo' }],
    ['credentials with a non-string field', { ...envelope, type: 'login', credentials: { username: 'demo', password: 42 } }],
    ['a failedToken that is not a string', { ...envelope, type: 'refresh', failedToken: { toString: 1 } }],
    ['a negative failedGeneration', { ...envelope, type: 'refresh', failedGeneration: -1 }],
    ['an array', Object.assign([1, 2], { protocol: PROTOCOL })],
  ])('answers %s with malformed-message', async (_label, data) => {
    const reply = await send(data, { ownsAllMessages: true });
    expect(reply).toMatchObject({ ok: false, error: { code: 'malformed-message' } });
  });

  it('leaves untagged messages to the worker\'s other handlers unless it owns all messages', async () => {
    expect(await send({ type: 'SKIP_WAITING' })).toBe('ignored');
    expect(await send('garbage', { ownsAllMessages: true })).toMatchObject({ ok: false, error: { code: 'malformed-message' } });
    expect(await send(null, { ownsAllMessages: true })).toMatchObject({ ok: false, error: { code: 'malformed-message' } });
  });

  it('never sends credentials or tokens to an endpoint named in a message', async () => {
    const urls: string[] = [];
    const fetchSpy: typeof fetch = async (input) => {
      urls.push(String(input));
      return new Response(JSON.stringify({ accessToken: 'a', refreshToken: 'r', expiresIn: 60 }), { status: 200 });
    };
    const config = resolveConfig({
      apiAllowlist: ['https://api.test'],
      endpoint: jsonEndpoint({ loginUrl: 'https://id.test/login', refreshUrl: 'https://id.test/refresh' }),
    });
    const broker = new TokenBroker({ config, name: 'hostile', store: memoryStore(), locks: inMemoryLocks(), notify: () => {}, fetch: fetchSpy, now: Date.now });
    const replies: unknown[] = [];
    const hostile = {
      ...envelope,
      type: 'login',
      credentials: { username: 'demo', password: 'demo' },
      tokenEndpoint: 'https://evil.test/collect',
      endpoint: { refreshUrl: 'https://evil.test/collect' },
      // An own __proto__ key, as structured clone or JSON.parse would deliver it.
      ...JSON.parse('{"__proto__": {"refreshUrl": "https://evil.test/collect"}}'),
    };
    await handleMessage(broker, config, hostile, { postMessage: (m) => replies.push(m) });
    // A report of the current token ('a'), so the worker really refreshes: at its own endpoint.
    await handleMessage(broker, config, { ...envelope, type: 'refresh', failedToken: 'a', refreshUrl: 'https://evil.test/collect' }, { postMessage: (m) => replies.push(m) });
    expect(urls).toEqual(['https://id.test/login', 'https://id.test/refresh']);
    expect(replies).toMatchObject([{ ok: true }, { ok: true }]);
  });

  it.each([
    ['an absolute URL', 'https://evil.test/'],
    ['a protocol-relative URL', '//evil.test/'],
    ['a backslash trick', '/\\evil.test/'],
    ['not a string', 42],
  ])('refuses an authorize returnTo that is %s (no open redirect)', async (_label, returnTo) => {
    expect(await send({ ...envelope, type: 'authorize', returnTo })).toMatchObject({
      ok: false,
      error: { code: 'malformed-message', message: 'authorize.returnTo must be a same-origin path starting with /' },
    });
  });

  it('answers authorize with not-supported when the endpoint logs in with credentials', async () => {
    expect(await send({ ...envelope, type: 'authorize', returnTo: '/', check: 'c'.repeat(16) })).toMatchObject({ ok: false, error: { code: 'not-supported' } });
  });

  it('answers a message it cannot serialise with malformed-message instead of crashing', async () => {
    const cyclic: Record<string, unknown> = { ...envelope, type: 'ping' };
    cyclic.self = cyclic;
    expect(await send(cyclic)).toMatchObject({ ok: false, error: { code: 'malformed-message', message: 'The message cannot be serialised' } });
  });

  it('replies with a typed error, not a crash, when the operation fails', async () => {
    expect(await send({ ...envelope, type: 'getToken' })).toEqual({ ok: false, id: 'm1', error: { code: 'not-logged-in', message: 'Not logged in' } });
  });

  it('survives a reply target that throws (a closed tab)', async () => {
    const harness = makeBroker();
    const config = resolveConfig({ apiAllowlist: ['https://api.test'], endpoint: harness.endpoint });
    const done = handleMessage(harness.broker, config, { ...envelope, type: 'status' }, {
      postMessage: () => {
        throw new Error('DataCloneError');
      },
    });
    await expect(done).resolves.toBeUndefined();
  });
});
