/** sw/expiry.ts: when a token is due, read from expires_in, the JWT exp and iat, with the skew capped and a wrong device clock survived. */
import { describe, expect, it } from 'vitest';
import { accessExpiry } from '../../../sw/expiry.js';
import { loggedIn, makeBroker, ScriptedEndpoint } from '../helpers.js';

const credentials = { username: 'demo', password: 'demo' };
const jwt = (claims: Record<string, unknown>) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

describe('refresh ahead of expiry', () => {
  it('refreshes a token that is within the skew of its expiry', async () => {
    const { broker, endpoint, clock } = await loggedIn({ refreshSkewSeconds: 10, maxSkewFraction: 0.5 });
    clock.now += 49_000;
    expect((await broker.getToken()).accessToken).toBe('access-1');
    clock.now += 2_000; // 9 s left, inside the 10 s skew
    expect((await broker.getToken()).accessToken).toBe('access-2');
    expect(endpoint.refreshCalls).toHaveLength(1);
  });

  it('caps the skew at a fraction of a short lifetime, so a 2-second token is not refreshed on every request', async () => {
    const endpoint = new ScriptedEndpoint();
    endpoint.expiresIn = 2;
    const { broker, clock } = await loggedIn({ endpoint, refreshSkewSeconds: 30, maxSkewFraction: 0.2 });
    clock.now += 1_500; // 0.5 s left; the skew is capped at 0.4 s
    expect((await broker.getToken()).accessToken).toBe('access-1');
    expect(endpoint.refreshCalls).toHaveLength(0);
    clock.now += 200;
    expect((await broker.getToken()).accessToken).toBe('access-2');
  });

  it('reads the expiry from the JWT exp when the server gives no expires_in', async () => {
    const endpoint = new ScriptedEndpoint();
    const exp = Math.floor(1_000_000 / 1000) + 120;
    const jwt = `e30.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.sig`;
    endpoint.login = async () => ({ accessToken: jwt, refreshToken: 'r' });
    const { broker } = await loggedIn({ endpoint });
    expect((await broker.getToken()).accessExpiresAt).toBe(exp * 1000);
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
