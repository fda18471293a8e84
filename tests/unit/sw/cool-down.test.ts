/** sw/cool-down.ts: a failing token endpoint is not hammered (DESIGN rule 8). */
import { describe, expect, it } from 'vitest';
import { RefreshUnavailableError } from '../../../protocol/index.js';
import { loggedIn, ScriptedEndpoint } from '../helpers.js';

const credentials = { username: 'demo', password: 'demo' };

describe('cool-down after a failed refresh', () => {
  it('sends one request for 15 reports during an outage, and answers the rest at once with the retry time', async () => {
    const endpoint = new ScriptedEndpoint();
    endpoint.next = 'unavailable';
    const { broker, clock } = await loggedIn({ endpoint });
    const results = [];
    for (let i = 0; i < 3; i++) results.push(...(await Promise.allSettled(Array.from({ length: 5 }, () => broker.refresh({ failedToken: 'access-1' })))));
    expect(results.every((r) => r.status === 'rejected' && (r.reason as { code: string }).code === 'refresh-unavailable')).toBe(true);
    expect(endpoint.refreshCalls).toHaveLength(1);
    expect((results.at(-1) as PromiseRejectedResult).reason).toMatchObject({ message: 'scripted outage', details: { retryAt: clock.now + 1000 } });
    expect(await broker.status()).toMatchObject({ loggedIn: true, refreshRetryAt: clock.now + 1000 });
  });

  it('doubles the cool-down with each failure in a row, up to a minute, and a success resets it', async () => {
    const endpoint = new ScriptedEndpoint();
    endpoint.next = 'unavailable';
    const { broker, clock } = await loggedIn({ endpoint });
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      const error = (await broker.refresh({ failedToken: 'access-1' }).catch((e: unknown) => e)) as { details: { retryAt: number } };
      delays.push(error.details.retryAt - clock.now);
      clock.now = error.details.retryAt;
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
    endpoint.next = 'ok';
    await broker.refresh({ failedToken: 'access-1' });
    expect(await broker.status()).toMatchObject({ refreshRetryAt: null });
    endpoint.next = 'unavailable';
    const again = (await broker.refresh({ failedToken: 'access-2' }).catch((e: unknown) => e)) as { details: { retryAt: number } };
    expect(again.details.retryAt - clock.now).toBe(1000);
  });

  it('honours a Retry-After longer than its own delay', async () => {
    const endpoint = new ScriptedEndpoint();
    const { broker, clock } = await loggedIn({ endpoint });
    endpoint.refresh = async () => {
      throw new RefreshUnavailableError('The token endpoint answered 503', { details: { status: 503, retryAt: clock.now + 30_000 } });
    };
    const error = await broker.refresh({ failedToken: 'access-1' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ details: { status: 503, retryAt: clock.now + 30_000 } });
    clock.now += 29_999;
    await expect(broker.refresh({ failedToken: 'access-1' })).rejects.toMatchObject({ details: { retryAt: clock.now + 1 } });
  });

  it('keeps handing out a token that is due but not expired while the cool-down lasts', async () => {
    const endpoint = new ScriptedEndpoint();
    endpoint.next = 'unavailable';
    const { broker, clock } = await loggedIn({ endpoint });
    // 60 s tokens, refreshed 12 s early (20% of the lifetime): due, not expired.
    clock.now += 50_000;
    expect((await broker.getToken()).accessToken).toBe('access-1');
    expect((await broker.getToken()).accessToken).toBe('access-1');
    expect(endpoint.refreshCalls).toHaveLength(1);
    clock.now += 11_000;
    await expect(broker.getToken()).rejects.toMatchObject({ code: 'refresh-unavailable' });
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
