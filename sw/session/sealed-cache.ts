/**
 * Sealed mode signs every API request: the session it signs with is kept in memory until it is
 * due, so a signature costs no IndexedDB read, and re-read at most every second, so a record
 * that vanished (site data cleared) is noticed within that (rule 15).
 */
import type { StoredSession } from '../store.js';

/** How often the cached session is checked against the store. */
const RECHECK_MS = 1_000;

export class SealedSessionCache {
  #session: StoredSession | undefined;
  #readAt = 0;

  /** The cached session's access tokens, the login's and each API's (the offline queue's token scan). */
  get accessTokens(): string[] {
    const session = this.#session;
    return session ? [session.accessToken, ...Object.values(session.apiTokens ?? {}).map((slot) => slot.accessToken)] : [];
  }

  /**
   * The cached session, or a fresh one from `load` when there is none, it is due, or it was
   * read more than a second ago.
   */
  async get(now: number, isDue: (session: StoredSession) => boolean, load: () => Promise<StoredSession>): Promise<StoredSession> {
    const cached = this.#session;
    if (cached && !isDue(cached) && now - this.#readAt < RECHECK_MS) return cached;
    this.#session = await load();
    this.#readAt = now;
    return this.#session;
  }

  /** Forgets the session (a login, logout, refresh or loss changed it). */
  drop(): void {
    this.#session = undefined;
  }
}
