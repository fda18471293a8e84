/**
 * Faults that must never cost the session: a server that ignores DPoP, unsendable tokens, a
 * replaced record. (A failed write: session-keeper.test.ts; a wrong clock: expiry.test.ts; a
 * stolen lock: lock.test.ts; a cool-down outliving a login: cool-down.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { checkTokenSet } from '../../../sw/adapters/http.js';
import { loggedIn, makeBroker, ScriptedEndpoint } from '../helpers.js';

const credentials = { username: 'demo', password: 'demo' };
const jwt = (claims: Record<string, unknown>) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

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
