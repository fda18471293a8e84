/**
 * An exclusive lock with a bounded wait. In a worker it is a Web Lock, so two worker
 * versions (an update activating mid-refresh) never refresh at once; elsewhere (unit
 * tests, browsers without `navigator.locks`) a queue inside this realm.
 */
import { RefreshUnavailableError } from '../protocol/index.js';

/** Runs `task` while holding the lock `name`; rejects with `refresh-unavailable` if the lock is not had within `waitMs`. */
export type LockRunner = <T>(name: string, waitMs: number, task: () => Promise<T>) => Promise<T>;

interface LockManagerLike {
  request<T>(name: string, options: { signal: AbortSignal }, callback: () => Promise<T>): Promise<T>;
}

/** The Web Locks API when present, else {@link inMemoryLocks}. */
export function defaultLocks(): LockRunner {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  return locks ? webLocks(locks) : inMemoryLocks();
}

/**
 * Locks shared by every worker of the origin.
 *
 * A lock can be taken away while the task runs (`navigator.locks.request(name, { steal:
 * true })`, from any script of the origin): the request then rejects with an AbortError
 * while the task goes on. The task's own outcome is what counts: a refresh request that is
 * out is never abandoned, and its rotated token must still be stored and used.
 */
export function webLocks(locks: LockManagerLike): LockRunner {
  return async (name, waitMs, task) => {
    let running: Promise<unknown> | undefined;
    try {
      return await locks.request(name, { signal: AbortSignal.timeout(waitMs) }, () => {
        const promise = task();
        running = promise;
        return promise;
      });
    } catch (error) {
      // Only a wait that never got the lock is a lock timeout.
      if (!running) throw new RefreshUnavailableError(`Timed out after ${waitMs} ms waiting for the refresh lock`, { cause: error });
      if ((error as { name?: unknown })?.name === 'AbortError') {
        console.warn(`sw-token-broker: the lock ${name} was taken away (steal) while a refresh held it; the refresh goes on and its answer is kept`);
      }
      // The task's own errors pass through; a lock lost mid-task waits for the task.
      return (await running) as Awaited<ReturnType<typeof task>>;
    }
  };
}

/** Locks that serialise callers sharing this runner (a FIFO queue per name). */
export function inMemoryLocks(): LockRunner {
  const tails = new Map<string, Promise<void>>();
  return async (name, waitMs, task) => {
    const previous = tails.get(name) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    tails.set(name, tail);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), waitMs)));
    const got = await Promise.race([previous.then(() => 'got' as const), timedOut]);
    clearTimeout(timer);
    if (got === 'timeout') {
      // Give up our place without blocking the ones behind us.
      previous.then(release);
      throw new RefreshUnavailableError(`Timed out after ${waitMs} ms waiting for the refresh lock`);
    }
    try {
      return await task();
    } finally {
      release();
      if (tails.get(name) === tail) tails.delete(name);
    }
  };
}
