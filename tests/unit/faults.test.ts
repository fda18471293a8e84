/**
 * Faults that must never cost the session: a failed write, a wrong clock, a stolen lock, a
 * server that ignores DPoP, unsendable tokens, a cool-down outliving a login, a replaced record.
 */
import { describe, expect, it } from 'vitest';
import { RefreshUnavailableError } from '../../protocol/index.js';
import { checkTokenSet } from '../../sw/adapters/http.js';
import { accessExpiry } from '../../sw/expiry.js';
import { webLocks } from '../../sw/lock.js';
import { memoryStore, type SessionStore } from '../../sw/store.js';
import { loggedIn, makeBroker, ScriptedEndpoint } from './helpers.js';

const credentials = { username: 'demo', password: 'demo' };
const jwt = (claims: Record<string, unknown>) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

/** A memory store whose writes fail while `failing` is set. */
function flakyStore() {
  const inner = memoryStore();
  const control = { failing: false, inner };
  const store: SessionStore = {
    ...inner,
    write: async (session) => {
      if (control.failing) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return inner.write(session);
    },
  };
  return { store, control };
}

describe('a session write that fails', () => {
  it('after a rotation keeps the new session: 20 requests later the server saw no reused refresh token', async () => {
    const { store, control } = flakyStore();
    const { broker, endpoint, clock } = await loggedIn({ store });
    control.failing = true;
    for (let i = 0; i < 20; i++) {
      clock.now += 61_000;
      await broker.getToken();
    }
    // Each refresh used the token the one before it issued: a reuse would have thrown session-ended.
    expect(endpoint.refreshCalls).toEqual(Array.from({ length: 20 }, (_, i) => `refresh-${i + 1}`));
    expect(await broker.status()).toMatchObject({ loggedIn: true, persisted: false, generation: 21 });
  });

  it('at login revokes the session the server created and says so with storage-failed, not internal', async () => {
    const { store, control } = flakyStore();
    control.failing = true;
    const { broker, endpoint, events } = makeBroker({ store });
    const error = await broker.login(credentials).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'storage-failed',
      retryable: true,
      message:
        'The session could not be written to storage (QuotaExceededError: The quota has been exceeded.). The new session was revoked at the server; free storage for this site and log in again',
    });
    await broker.whenIdle();
    expect(endpoint.revoked).toEqual(['refresh-1']);
    expect(await broker.status()).toMatchObject({ loggedIn: false });
    expect(events.map((e) => e.event)).toEqual(['revoked']);
  });

  it('never re-sends a refresh token the server rotated, even when the store hands the old record back', async () => {
    // A store that claims durability and keeps nothing: the broker's own memory of spent tokens still holds.
    const stale = memoryStore();
    const { broker: first, endpoint, clock } = makeBroker({ store: stale });
    await first.login(credentials);
    const lying: SessionStore = { ...stale, write: async () => undefined };
    const harness = makeBroker({ store: lying, endpoint, clock });
    await stale.write({ ...(await stale.read())!, accessExpiresAt: clock.now });
    await harness.broker.getToken().catch(() => undefined);
    clock.now += 61_000;
    const second = await harness.broker.refresh({ failedToken: 'access-1' }).catch((e: unknown) => e);
    expect(second).toMatchObject({ code: 'storage-failed', message: expect.stringContaining('it is not sent again') });
    expect(endpoint.refreshCalls).toEqual(['refresh-1']);
  });

  it('retries the write on a later request, at most once a second', async () => {
    const { store, control } = flakyStore();
    let writes = 0;
    const counting: SessionStore = { ...store, write: (session) => (writes++, store.write(session)) };
    const { broker, clock } = await loggedIn({ store: counting });
    control.failing = true;
    clock.now += 61_000;
    await broker.getToken();
    writes = 0;
    for (let i = 0; i < 10; i++) await broker.status();
    expect(writes).toBe(0);
    clock.now += 1_000;
    await Promise.all(Array.from({ length: 10 }, () => broker.status()));
    expect(writes).toBe(1);
  });
});

describe('expiry that survives a wrong clock', () => {
  const now = 1_700_000_000_000;
  const token = jwt({ iat: now / 1000, exp: now / 1000 + 30 });

  it('reads the JWT exp when the clock agrees with the server', () => {
    expect(accessExpiry(now + 1_000, token, undefined, 300_000)).toBe(now + 30_000);
  });

  it('uses exp - iat when the device clock is an hour ahead (the token looks expired on arrival)', () => {
    expect(accessExpiry(now + 3_600_000, token, undefined, 300_000)).toBe(now + 3_600_000 + 30_000);
  });

  it('uses exp - iat when the device clock is an hour behind (the token looks longer lived than it is)', () => {
    expect(accessExpiry(now - 3_600_000, token, undefined, 300_000)).toBe(now - 3_600_000 + 30_000);
  });

  it('falls back to the default lifetime for an expired-looking token without iat, and for an exp days away', () => {
    expect(accessExpiry(now + 3_600_000, jwt({ exp: now / 1000 + 30 }), undefined, 300_000)).toBe(now + 3_600_000 + 300_000);
    expect(accessExpiry(now, jwt({ exp: now / 1000 + 10 * 86_400 }), undefined, 300_000)).toBe(now + 300_000);
  });

  it('lets expires_in win over any JWT claim', () => {
    expect(accessExpiry(now + 3_600_000, token, 60, 300_000)).toBe(now + 3_600_000 + 60_000);
  });

  it('refreshes once, not on every request, with a clock an hour ahead and no expires_in', async () => {
    const endpoint = new ScriptedEndpoint();
    const clock = { now: 1_700_000_000_000 + 3_600_000 };
    let issued = 0;
    const serverNow = () => clock.now - 3_600_000;
    const issue = () => {
      issued++;
      const iat = Math.floor(serverNow() / 1000);
      return { accessToken: jwt({ iat, exp: iat + 30, n: issued }), refreshToken: `refresh-${issued}` };
    };
    endpoint.login = async () => issue();
    endpoint.refresh = async (refreshToken) => (endpoint.refreshCalls.push(refreshToken), issue());
    const { broker } = makeBroker({ endpoint, clock });
    await broker.login(credentials);
    for (let i = 0; i < 20; i++) {
      await broker.getToken();
      clock.now += 500;
    }
    // 10 s of requests against 30-second tokens: none is due.
    expect(endpoint.refreshCalls).toEqual([]);
  });
});

describe('the refresh lock taken away mid-refresh', () => {
  /** A lock manager whose lock is stolen once the task started: its request rejects with AbortError, the task runs on. */
  const stealingLocks = {
    request<T>(_name: string, _options: { signal: AbortSignal }, callback: () => Promise<T>): Promise<T> {
      const task = callback();
      task.catch(() => undefined);
      return Promise.reject(new DOMException('The lock request was aborted', 'AbortError'));
    },
  };

  it('keeps the task running and returns its answer instead of the AbortError', async () => {
    const run = webLocks(stealingLocks);
    expect(await run('l', 1000, async () => 'answer')).toBe('answer');
    await expect(run('l', 1000, async () => Promise.reject(new RefreshUnavailableError('down')))).rejects.toMatchObject({ code: 'refresh-unavailable', message: 'down' });
  });

  it('uses the refresh answer and sends no second refresh with the same token', async () => {
    const endpoint = new ScriptedEndpoint();
    endpoint.delayMs = 30;
    const { broker, store } = await loggedIn({ endpoint, locks: webLocks(stealingLocks) });
    const [first, second] = await Promise.all([broker.refresh({ failedToken: 'access-1' }), broker.refresh({ failedToken: 'access-1' })]);
    expect(first).toMatchObject({ accessToken: 'access-2' });
    expect(second).toMatchObject({ accessToken: 'access-2' });
    expect(endpoint.refreshCalls).toEqual(['refresh-1']);
    expect(await store.read()).toMatchObject({ refreshToken: 'refresh-2' });
  });
});

describe('DPoP that cannot be downgraded silently', () => {
  const dpopBroker = (tokenType: string | undefined, dpop: boolean | { allowUnbound: boolean } = true) => {
    const endpoint = Object.assign(new ScriptedEndpoint(), { dpopFetch: async () => new Response(), tokenType });
    return makeBroker({ mode: 'sealed', dpop, endpoint });
  };

  it('refuses a login answered with token_type Bearer: misconfigured, naming the answer, the tokens revoked', async () => {
    const { broker, endpoint } = dpopBroker('Bearer');
    const error = await broker.login(credentials).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'misconfigured', details: { error: 'dpop_not_bound', errorDescription: 'token_type "Bearer"' } });
    expect((error as Error).message).toMatch(/^DPoP is configured, but the token endpoint answered with token_type "Bearer": its tokens are not bound/);
    await broker.whenIdle();
    expect(endpoint.revoked).toEqual(['refresh-1']);
    expect(await broker.status()).toMatchObject({ loggedIn: false });
  });

  it('ends a session whose refresh comes back unbound, revoking what the server issued', async () => {
    const { broker, endpoint, events } = dpopBroker('DPoP');
    await broker.login(credentials);
    expect(await broker.status()).toMatchObject({ dpopBound: true });
    endpoint.tokenType = undefined;
    const error = await broker.refresh({ failedGeneration: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'session-ended', details: { error: 'dpop_not_bound', errorDescription: 'no token_type' } });
    await broker.whenIdle();
    expect(endpoint.revoked).toEqual(['refresh-2']);
    expect(events.map((e) => e.event)).toEqual(['login', 'session-ended', 'revoked']);
  });

  it('accepts unbound tokens with allowUnbound, says so in status, and signs with Bearer', async () => {
    const { broker } = dpopBroker('Bearer', { allowUnbound: true });
    await broker.login(credentials);
    expect(await broker.status()).toMatchObject({ loggedIn: true, dpopBound: false });
    expect((await broker.sealedToken()).dpop).toBeUndefined();
  });
});

describe('token characters', () => {
  it('refuses an access token with CR/LF, naming the field', () => {
    expect(() => checkTokenSet({ accessToken: 'at_1\r\nX-Injected: 1', refreshToken: 'rt_2' })).toThrow(
      "The token endpoint response has no usable tokens: the access token has characters RFC 6750's b64token does not allow (it could not be sent in an Authorization header)",
    );
  });

  it('refuses a refresh token with control characters, naming the field', () => {
    expect(() => checkTokenSet({ accessToken: 'at_1', refreshToken: 'rt\n2' })).toThrow(
      'The token endpoint response has no usable tokens: the refresh token has characters RFC 6749 does not allow (visible ASCII only)',
    );
  });

  it('keeps the rotated refresh token of an answer refused for its access token, so the next refresh does not reuse the old one', async () => {
    const endpoint = new ScriptedEndpoint();
    const { broker, clock, store } = await loggedIn({ endpoint });
    const real = endpoint.refresh.bind(endpoint);
    endpoint.refresh = async (refreshToken) => {
      const tokens = await real(refreshToken);
      return checkTokenSet({ ...tokens, accessToken: `${tokens.accessToken}\r\n` });
    };
    clock.now += 61_000;
    await expect(broker.getToken()).rejects.toMatchObject({ code: 'refresh-unavailable' });
    expect(await store.read()).toMatchObject({ refreshToken: 'refresh-2', accessToken: 'access-1' });
    endpoint.refresh = real;
    clock.now += 1_000;
    expect(await broker.getToken()).toMatchObject({ accessToken: 'access-3' });
    expect(endpoint.refreshCalls).toEqual(['refresh-1', 'refresh-2']);
  });
});

describe('the cool-down', () => {
  it('is reset by a successful login: the new session refreshes at once', async () => {
    const endpoint = new ScriptedEndpoint();
    const { broker } = await loggedIn({ endpoint });
    endpoint.next = 'unavailable';
    await expect(broker.refresh({ failedToken: 'access-1' })).rejects.toMatchObject({ code: 'refresh-unavailable' });
    expect(await broker.status()).toMatchObject({ refreshRetryAt: expect.any(Number) });
    endpoint.next = 'ok';
    await broker.login(credentials);
    expect(await broker.status()).toMatchObject({ refreshRetryAt: null });
    expect(await broker.refresh({ failedToken: 'access-2' })).toMatchObject({ accessToken: 'access-3', refreshed: true });
  });
});

describe('a session record replaced by page script', () => {
  it('is reported as subject-changed when its tokens are for another user', async () => {
    const endpoint = new ScriptedEndpoint();
    let user = 'victim';
    const real = endpoint.login.bind(endpoint);
    endpoint.login = async (given) => ({ ...(await real(given)), accessToken: jwt({ sub: user }) });
    const { broker, store, events } = await loggedIn({ endpoint });
    expect(await broker.status()).toMatchObject({ loggedIn: true });
    user = 'attacker';
    const attacker = makeBroker({ endpoint });
    await attacker.broker.login(credentials);
    // The attacker's record, written into the victim's store as page script can.
    await store.write((await attacker.store.read())!);
    await broker.status();
    expect(events.map((e) => e.event)).toEqual(['login', 'subject-changed']);
    expect(events[1].reason).toBe('The stored session is for another user than before, without a login: its record was replaced outside the broker');
  });

  it('is reported when a refresh returns tokens for another user than the record claimed', async () => {
    const endpoint = new ScriptedEndpoint();
    const { broker, store, events } = await loggedIn({ endpoint });
    await store.write({ ...(await store.read())!, subject: 'victim' });
    const real = endpoint.refresh.bind(endpoint);
    endpoint.refresh = async (token) => ({ ...(await real(token)), subject: 'attacker' });
    // Rule 11: the request was made as the victim; it is never retried with the attacker's token.
    await expect(broker.refresh({ failedToken: 'access-1' })).rejects.toMatchObject({ code: 'session-changed' });
    expect(events.map((e) => e.event)).toEqual(['login', 'refreshed', 'subject-changed']);
  });
});
