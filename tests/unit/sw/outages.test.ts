import { describe, expect, it } from 'vitest';
import { SessionEndedError, toWireError, type BrokerError } from '../../../protocol/index.js';
import { loggedIn, ScriptedEndpoint } from '../helpers.js';

const credentials = { username: 'demo', password: 'demo' };

describe('a refresh request, once sent, is never abandoned', () => {
  it('keeps the session against a rotating server that answers after the callers gave up', async () => {
    const endpoint = new ScriptedEndpoint();
    endpoint.delayMs = 150;
    const { broker, store } = await loggedIn({ endpoint, requestTimeoutMs: 40 });
    const early = await broker.refresh({ failedToken: 'access-1' }).catch((e: unknown) => e);
    expect(early).toMatchObject({
      code: 'refresh-unavailable',
      retryable: true,
      message: 'The token endpoint did not answer within 40 ms; the refresh goes on, and its answer will be kept for the next request',
    });
    // The worker is kept alive (waitUntil) until the answer is stored.
    await broker.whenIdle();
    expect(await store.read()).toMatchObject({ refreshToken: 'refresh-2', accessToken: 'access-2', generation: 2 });
    // The next report of the old token gets the rotated session, without a request that would reuse refresh-1.
    expect(await broker.refresh({ failedToken: 'access-1' })).toMatchObject({ accessToken: 'access-2' });
    expect(endpoint.refreshCalls).toEqual(['refresh-1']);
  });

  it('lets a caller that arrives while the slow request is out join it instead of sending another', async () => {
    const endpoint = new ScriptedEndpoint();
    endpoint.delayMs = 150;
    const { broker } = await loggedIn({ endpoint, requestTimeoutMs: 40 });
    await broker.refresh({ failedToken: 'access-1' }).catch(() => undefined);
    await broker.refresh({ failedToken: 'access-1' }).catch(() => undefined);
    await broker.whenIdle();
    expect(endpoint.refreshCalls).toEqual(['refresh-1']);
  });
});

describe('a session ended by the server', () => {
  it('gives every waiter, and every late report, the same error with what the server said', async () => {
    const endpoint = new ScriptedEndpoint();
    const { broker, events } = await loggedIn({ endpoint });
    endpoint.refresh = async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      throw new SessionEndedError('The server rejected the refresh token (400 invalid_grant): Token has been revoked', {
        details: { status: 400, error: 'invalid_grant', errorDescription: 'Token has been revoked' },
      });
    };
    const waiters = await Promise.allSettled(Array.from({ length: 5 }, () => broker.refresh({ failedToken: 'access-1' })));
    const late = await broker.refresh({ failedToken: 'access-1' }).catch((e: unknown) => e);
    const expected = {
      code: 'session-ended',
      message: 'The server rejected the refresh token (400 invalid_grant): Token has been revoked',
      details: { status: 400, error: 'invalid_grant', errorDescription: 'Token has been revoked' },
    };
    for (const waiter of waiters) expect(waiter).toMatchObject({ status: 'rejected', reason: expected });
    expect(late).toMatchObject(expected);
    expect(events.filter((e) => e.event === 'session-ended')).toEqual([
      expect.objectContaining({ reason: expected.message }),
    ]);
    // A new login forgets the old reason; a logout gives its own (a request it cut off, not the server).
    endpoint.refresh = ScriptedEndpoint.prototype.refresh.bind(endpoint);
    await broker.login(credentials);
    await broker.logout();
    const cutOff = await broker.refresh({ failedToken: 'access-x' }).catch((e: unknown) => e);
    expect(cutOff).toMatchObject({ code: 'session-ended', details: { endedBy: 'logout' } });
    expect(toWireError(cutOff as BrokerError).details).toEqual({ endedBy: 'logout' });
  });
});
