/**
 * The session as the broker sees it: the store's, or, after a write failed, the one kept
 * in the worker's memory until a write succeeds.
 *
 * Why: a refresh the server answered has rotated the refresh token. If the new session
 * cannot be stored (a full origin quota, a broken database) and is dropped, the next
 * refresh presents the spent token, the server sees reuse and revokes the whole session.
 * So a failed write keeps the session in memory, removes the stored record (its refresh
 * token is spent: a restarted worker must not present it), and is retried on later reads.
 */
import { StorageFailedError } from '../protocol/index.js';
import type { SessionStore, StoredSession } from './store.js';

/** A logout's compare-and-delete turns at most (a login landing between read and delete each time). */
const MAX_CLEAR_TURNS = 3;
/** A failed write is tried again at most this often, however many requests read the session. */
const RETRY_INTERVAL_MS = 1_000;

export class SessionKeeper {
  readonly #store: SessionStore;
  readonly #now: () => number;
  /** The session whose write failed; undefined while the store holds the current session. */
  #unsaved: StoredSession | undefined;
  #nextRetryAt = 0;
  #retrying: Promise<void> | undefined;

  constructor(store: SessionStore, now: () => number) {
    this.#store = store;
    this.#now = now;
  }

  /** False while the current session lives only in memory. */
  get persisted(): boolean {
    return this.#unsaved === undefined;
  }

  async read(): Promise<StoredSession | undefined> {
    if (!this.#unsaved) return this.#store.read();
    await this.#retryWrite();
    return this.#unsaved ? { ...this.#unsaved } : this.#store.read();
  }

  /**
   * Writes the session. When the write fails, keeps it in memory, removes the stored
   * record, and rejects with `StorageFailedError` saying why; later reads return the kept
   * session and retry the write (a caller that cannot use a session kept in memory calls
   * {@link discardUnsaved}).
   */
  async write(session: StoredSession): Promise<void> {
    try {
      await this.#store.write(session);
      this.#unsaved = undefined;
    } catch (error) {
      this.#unsaved = { ...session };
      this.#nextRetryAt = this.#now() + RETRY_INTERVAL_MS;
      // The stored record's refresh token is spent once the server rotated it.
      const cleared = await this.#store.clear().then(
        () => true,
        () => false,
      );
      throw new StorageFailedError(
        `The session could not be written to storage (${describe(error)})${
          cleared ? '' : '; the previous record could not be removed either, so a restarted worker would find a spent refresh token'
        }`,
        { cause: error },
      );
    }
  }

  /** Forgets the session, in memory and in the store. */
  async clear(): Promise<void> {
    this.#unsaved = undefined;
    await this.#store.clear();
  }

  /**
   * Compare-and-delete: forgets the session only if it is still the one with this refresh
   * token (a login may have replaced it meanwhile). Resolves true when it did.
   */
  async clearIf(refreshToken: string): Promise<boolean> {
    if (this.#unsaved) {
      if (this.#unsaved.refreshToken !== refreshToken) return false;
      this.#unsaved = undefined;
      // The stored record, if any, is older than the kept session: its refresh token is spent.
      await this.#store.clear();
      return true;
    }
    if (this.#store.clearIf) return await this.#store.clearIf(refreshToken);
    // A custom store without an atomic compare-and-delete: read, then clear (a login between the two would be lost).
    if ((await this.#store.read())?.refreshToken !== refreshToken) return false;
    await this.#store.clear();
    return true;
  }

  /**
   * Removes the current session and returns it (the one to revoke), by compare-and-delete: a
   * login that lands between the read and the delete is read and removed in the next turn.
   *
   * @param found called before each delete, so a report that finds the store empty finds why.
   */
  async clearCurrent(found: () => void): Promise<StoredSession | undefined> {
    for (let turn = 0; turn < MAX_CLEAR_TURNS; turn++) {
      const session = await this.read();
      if (!session) return undefined;
      found();
      if (await this.clearIf(session.refreshToken)) return session;
    }
    return undefined;
  }

  /** Forgets a kept session without touching the store (a login whose write failed never happened). */
  discardUnsaved(): void {
    this.#unsaved = undefined;
  }

  async #retryWrite(): Promise<void> {
    if (this.#retrying) return this.#retrying;
    if (this.#now() < this.#nextRetryAt) return;
    const session = this.#unsaved!;
    this.#retrying = this.#store
      .write(session)
      .then(
        // Only if nothing newer was kept meanwhile.
        () => void (this.#unsaved === session && (this.#unsaved = undefined)),
        () => void (this.#nextRetryAt = this.#now() + RETRY_INTERVAL_MS),
      )
      .finally(() => (this.#retrying = undefined));
    return this.#retrying;
  }
}

function describe(error: unknown): string {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  const text = [name, message].filter((part) => typeof part === 'string' && part !== '').join(': ');
  return text.slice(0, 200) || 'unknown error';
}
