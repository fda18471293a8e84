/** Known session lifetimes: the rules (worker clock, absurd values, idle vs absolute), the end, the keep-alive's one grant. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TokenSet } from '../../../sw/adapters/types.js';
import { deadlinesOf, keepAliveDue, providerLifetimeSeconds, resolveSessionLimits } from '../../../sw/session-lifetime.js';
import type { StoredSession } from '../../../sw/store.js';
import { loggedIn, ScriptedEndpoint } from '../helpers.js';

/** Sends the refresh token's lifetime the way Keycloak does (`refresh_expires_in`), each answer the same unless changed. */
class LifetimeEndpoint extends ScriptedEndpoint {
  refreshExpiresIn: number | undefined = 600;
  override async login(credentials: Readonly<Record<string, string>>): Promise<TokenSet> {
    return { ...(await super.login(credentials)), refreshExpiresInSeconds: this.refreshExpiresIn };
  }
  override async refresh(refreshToken: string): Promise<TokenSet> {
    return { ...(await super.refresh(refreshToken)), refreshExpiresInSeconds: this.refreshExpiresIn };
  }
}

const session = (fields: Partial<StoredSession>): StoredSession => ({ version: 1, refreshToken: 'r', accessToken: 'a', accessIssuedAt: 0, accessExpiresAt: 60_000, generation: 1, ...fields });

afterEach(() => vi.restoreAllMocks());

describe('lifetime rules', () => {
  it('config: positive seconds up to 90 days; anything else is a TypeError naming it', () => {
    expect(resolveSessionLimits(undefined)).toEqual({ idleTimeoutMs: undefined, absoluteLifetimeMs: undefined, warnBeforeMs: 60_000, keepAlive: 'open' });
    expect(resolveSessionLimits({ idleTimeoutSeconds: 1800, keepAlive: 'visible' })).toMatchObject({ idleTimeoutMs: 1_800_000, keepAlive: 'visible' });
    for (const wrong of [{ idleTimeoutSeconds: -1 }, { absoluteLifetimeSeconds: '3600' }, { absoluteLifetimeSeconds: 365 * 24 * 3600 }, { keepAlive: 'always' }]) {
      expect(() => resolveSessionLimits(wrong as never)).toThrow(TypeError);
    }
  });

  it("a provider's absurd lifetime (negative, a string of letters, a year) is no limit, said once in the console; 0 (Keycloak's offline tokens) is none", () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect([providerLifetimeSeconds(-5), providerLifetimeSeconds('soon'), providerLifetimeSeconds(365 * 24 * 3600), providerLifetimeSeconds(0)]).toEqual([undefined, undefined, undefined, undefined]);
    expect(warn).toHaveBeenCalledTimes(3);
    expect([providerLifetimeSeconds(1800), providerLifetimeSeconds('1800')]).toEqual([1800, 1800]);
  });

  it('idle = the last refresh plus the idle timeout, or the sliding provider limit; absolute = the login plus the lifetime, or a provider limit that stopped sliding', () => {
    const limits = resolveSessionLimits({ idleTimeoutSeconds: 100, absoluteLifetimeSeconds: 1000 });
    expect(deadlinesOf(session({ startedAt: 0, refreshedAt: 50_000 }), limits)).toEqual({ sessionExpiresAt: 150_000, idleExpiresAt: 150_000, endsBy: 'idle' });
    expect(deadlinesOf(session({ startedAt: 0, refreshedAt: 950_000 }), limits)).toEqual({ sessionExpiresAt: 1_000_000, idleExpiresAt: 1_050_000, endsBy: 'expired' });
    const none = resolveSessionLimits({});
    expect(deadlinesOf(session({ refreshedAt: 0, refreshExpiresAt: 30_000 }), none)).toEqual({ sessionExpiresAt: 30_000, idleExpiresAt: 30_000, endsBy: 'idle' });
    expect(deadlinesOf(session({ refreshedAt: 0, refreshExpiresAt: 30_000, refreshExpiresFixed: true }), none)).toEqual({ sessionExpiresAt: 30_000, idleExpiresAt: null, endsBy: 'expired' });
    expect(deadlinesOf(session({}), none)).toEqual({ sessionExpiresAt: null, idleExpiresAt: null, endsBy: null });
  });

  it('the keep-alive is due within a minute (a quarter, for short idle times) of the idle deadline, not after it, never when off', () => {
    const limits = resolveSessionLimits({ idleTimeoutSeconds: 8 });
    const s = session({ refreshedAt: 0 });
    expect([keepAliveDue(s, limits, 5_900), keepAliveDue(s, limits, 6_000), keepAliveDue(s, limits, 7_999), keepAliveDue(s, limits, 8_000)]).toEqual([false, true, true, false]);
    expect(keepAliveDue(s, resolveSessionLimits({ idleTimeoutSeconds: 8, keepAlive: false }), 7_000)).toBe(false);
    expect(keepAliveDue(session({ refreshedAt: 0 }), resolveSessionLimits({ idleTimeoutSeconds: 3600 }), 3_540_000)).toBe(true);
  });
});

describe('the broker with known lifetimes', () => {
  it("status carries the deadlines, read on the worker's clock at the answer (a JWT's own times play no part)", async () => {
    const endpoint = new LifetimeEndpoint();
    const { broker, clock } = await loggedIn({ endpoint });
    const status = await broker.status();
    expect(status).toMatchObject({ sessionExpiresAt: clock.now + 600_000, idleExpiresAt: clock.now + 600_000 });
  });

  it('a session past its idle deadline ends at the next read: cleared, revoked, every tab told endedBy idle', async () => {
    const { broker, clock, endpoint, events } = await loggedIn({ session: { idleTimeoutSeconds: 100, keepAlive: false } });
    clock.now += 99_000;
    expect((await broker.status()).loggedIn).toBe(true);
    clock.now += 2_000;
    expect((await broker.status()).loggedIn).toBe(false);
    expect(events.at(-1)).toMatchObject({ event: 'session-ended', details: { endedBy: 'idle' } });
    await expect(broker.getToken()).rejects.toMatchObject({ code: 'session-ended', details: { endedBy: 'idle' } });
    await broker.whenIdle();
    expect(endpoint.revoked).toEqual(['refresh-1']);
  });

  it('a refresh moves the idle deadline, not the absolute one', async () => {
    const { broker, clock } = await loggedIn({ session: { idleTimeoutSeconds: 100, absoluteLifetimeSeconds: 150, keepAlive: false } });
    const start = clock.now;
    clock.now += 61_000;
    await broker.getToken();
    expect(await broker.status()).toMatchObject({ idleExpiresAt: clock.now + 100_000, sessionExpiresAt: start + 150_000 });
    clock.now = start + 150_000;
    await expect(broker.getToken()).rejects.toMatchObject({ code: 'session-ended', details: { endedBy: 'expired' } });
  });

  it("a provider limit that a refresh did not move is taken for an absolute end", async () => {
    const endpoint = new LifetimeEndpoint();
    const { broker, clock } = await loggedIn({ endpoint });
    const end = clock.now + 600_000;
    clock.now += 61_000;
    endpoint.refreshExpiresIn = 539;
    await broker.getToken();
    expect(await broker.status()).toMatchObject({ sessionExpiresAt: end, idleExpiresAt: null });
  });

  it('the keep-alive: ten tabs asking near the idle deadline cost one grant, which moves it; asking early costs none', async () => {
    const { broker, clock, endpoint } = await loggedIn({ session: { idleTimeoutSeconds: 100 } });
    clock.now += 50_000;
    await Promise.all(Array.from({ length: 10 }, () => broker.keepAlive()));
    expect(endpoint.refreshCalls).toHaveLength(0);
    clock.now += 30_000;
    const statuses = await Promise.all(Array.from({ length: 10 }, () => broker.keepAlive()));
    expect(endpoint.refreshCalls).toHaveLength(1);
    expect(new Set(statuses.map((s) => s.idleExpiresAt))).toEqual(new Set([clock.now + 100_000]));
    await broker.keepAlive();
    expect(endpoint.refreshCalls).toHaveLength(1);
  });

  it('reads at once after the deadline: one session-ended (idle), never taken for a vanished record', async () => {
    const { broker, clock, events } = await loggedIn({ session: { idleTimeoutSeconds: 100, keepAlive: false } });
    const claimed = (await broker.status()).session!;
    clock.now += 101_000;
    await Promise.all([broker.status(), broker.getToken(claimed).catch(() => undefined), broker.status(), broker.getToken(claimed).catch(() => undefined)]);
    expect(events.filter((each) => each.event === 'session-ended').map((each) => each.details?.endedBy)).toEqual(['idle']);
  });
});
