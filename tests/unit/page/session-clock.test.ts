/** A tab's timers for the session's deadlines: one warning before an end nothing moves, the end, the keep-alive. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SessionClock } from '../../../src/session-clock.js';
import type { SessionStatus } from '../../../protocol/index.js';

const status = (fields: Partial<SessionStatus>): SessionStatus => ({ loggedIn: true, accessExpiresAt: null, generation: 1, mode: 'handoff', refreshRetryAt: null, workerStartedAt: 0, persisted: true, dpopBound: false, claims: null, session: 'sub:demo', ...fields });

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
});
afterEach(() => vi.useRealTimers());

function clock(keepAlive: 'open' | 'visible' | 'off', warnBeforeMs = 60_000) {
  const calls: string[] = [];
  const instance = new SessionClock({ status: async () => void calls.push('status'), keepAlive: async () => void calls.push('keepAlive'), expiring: (_s, endsAt) => void calls.push(`expiring ${endsAt}`) });
  instance.settings = { warnBeforeMs, keepAlive };
  return { instance, calls };
}

describe('SessionClock', () => {
  it('an absolute end: one warning (at most half the time left ahead), then asks the worker at the end', () => {
    const { instance, calls } = clock('open');
    const end = 1_010_000;
    instance.update(status({ sessionExpiresAt: end, idleExpiresAt: null }));
    instance.update(status({ sessionExpiresAt: end, idleExpiresAt: null }));
    vi.advanceTimersByTime(4_999);
    expect(calls).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(calls).toEqual([`expiring ${end}`]);
    vi.advanceTimersByTime(5_100);
    expect(calls).toEqual([`expiring ${end}`, 'status']);
  });

  it('an idle end with the keep-alive on: no warning, the keep-alive a quarter of the time (at most a minute) before it', () => {
    const { instance, calls } = clock('open');
    instance.update(status({ sessionExpiresAt: 1_008_000, idleExpiresAt: 1_008_000 }));
    vi.advanceTimersByTime(5_999);
    expect(calls).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(calls).toEqual(['keepAlive']);
  });

  it('with the keep-alive off the idle end is warned about; logged out or without settings nothing is scheduled; a far deadline is not', () => {
    const off = clock('off', 2_000);
    off.instance.update(status({ sessionExpiresAt: 1_010_000, idleExpiresAt: 1_010_000 }));
    vi.advanceTimersByTime(10_100);
    expect(off.calls).toEqual(['expiring 1010000', 'status']);
    const out = clock('open');
    out.instance.update(status({ loggedIn: false, sessionExpiresAt: 1_001_000 }));
    const far = clock('open');
    far.instance.update(status({ sessionExpiresAt: 1_000_000 + 40 * 24 * 3600_000, idleExpiresAt: null }));
    vi.advanceTimersByTime(60_000);
    expect([out.calls, far.calls]).toEqual([[], []]);
  });

  it('a status learnt again later (pages poll it) does not push the warning or the keep-alive on', () => {
    const { instance, calls } = clock('open');
    const idle = 1_008_000;
    for (let t = 0; t < 6_000; t += 500) {
      instance.update(status({ sessionExpiresAt: idle, idleExpiresAt: idle }));
      vi.advanceTimersByTime(500);
    }
    expect(calls).toEqual(['keepAlive']);
  });

  it('a keep-alive that failed (offline) is tried again halfway to the idle deadline, not with under 2 s left', async () => {
    const calls: string[] = [];
    let failures = 2;
    const instance = new SessionClock({
      status: async () => void calls.push('status'),
      keepAlive: async () => {
        calls.push(`keepAlive ${Date.now()}`);
        if (failures-- > 0) throw new TypeError('Failed to fetch');
      },
      expiring: () => undefined,
    });
    instance.settings = { warnBeforeMs: 60_000, keepAlive: 'open' };
    instance.update(status({ sessionExpiresAt: 1_008_000, idleExpiresAt: 1_008_000 }));
    await vi.advanceTimersByTimeAsync(8_000);
    // At 1 006 000 (2 s left): failed; the retry at 1 007 000 would leave 1 s, so none.
    expect(calls).toEqual(['keepAlive 1006000']);
    const longer = new SessionClock({ status: async () => undefined, keepAlive: async () => { calls.push(`keepAlive ${Date.now()}`); if (failures-- > 0) throw new TypeError('Failed to fetch'); }, expiring: () => undefined });
    calls.length = 0;
    failures = 1;
    longer.settings = { warnBeforeMs: 60_000, keepAlive: 'open' };
    longer.update(status({ sessionExpiresAt: 1_008_000 + 400_000, idleExpiresAt: 1_008_000 + 400_000 }));
    await vi.advanceTimersByTimeAsync(400_000);
    // A minute before (1 348 000): failed; again halfway to the deadline (1 378 000): kept alive, no more.
    expect(calls.filter((call) => call.startsWith('keepAlive'))).toEqual(['keepAlive 1348000', 'keepAlive 1378000']);
  });
});
