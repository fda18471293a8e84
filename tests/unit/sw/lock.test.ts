/** sw/lock.ts: the refresh lock, and a lock taken away while its refresh is out. */
import { describe, expect, it } from 'vitest';
import { RefreshUnavailableError } from '../../../protocol/index.js';
import { webLocks } from '../../../sw/lock.js';
import { loggedIn, ScriptedEndpoint } from '../helpers.js';

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
