/**
 * Handoff mode's tokens in this tab: the newest token per API (the worker's `apis`; one for
 * the login's token), reused until its `refreshAt`, so steady-state requests cost no round
 * trip; concurrent callers for one API share one message; and which session each recent
 * token belongs to, so a 401 report names the session its request was made in (rule 11).
 */
import { parseAllowlist, tokenTargetFor, type AllowlistEntry, type HandoffTokenResult, type TokenResult } from '../protocol/index.js';

/** Tokens whose session this tab remembers, for 401 reports. */
const MAX_TOKENS_REMEMBERED = 16;
/** The key of the login's token. */
const LOGIN_TOKEN = '';

export class HandoffTokens {
  #apiKeys: string[] = [];
  #apiEntries: AllowlistEntry[] = [];
  readonly #cached = new Map<string, HandoffTokenResult>();
  readonly #pending = new Map<string, Promise<HandoffTokenResult>>();
  readonly #sessionOfToken = new Map<string, string>();

  /** The allowlist entries the worker keeps a token of their own for (its ping says). */
  set apis(keys: readonly string[] | undefined) {
    this.#apiKeys = Array.isArray(keys) ? keys.filter((key) => typeof key === 'string') : [];
    this.#apiEntries = parseAllowlist(this.#apiKeys);
  }

  /** Which token a request to `url` carries (the worker decides the same way): its API's key, or the login's. */
  keyFor(url: URL | undefined): string {
    const index = url === undefined ? undefined : tokenTargetFor(url, this.#apiEntries);
    return index === undefined ? LOGIN_TOKEN : this.#apiKeys[index]!;
  }

  /** The cached token for `key` while it is not due, else one from `load` (shared by concurrent callers). */
  async get(key: string, now: number, load: () => Promise<HandoffTokenResult>): Promise<HandoffTokenResult> {
    const cached = this.#cached.get(key);
    if (cached && now < cached.refreshAt) return cached;
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = load().finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return pending;
  }

  /** Copies the fields a token reply should have; in handoff mode caches it (for `key`'s API) unless this tab already holds a newer one. */
  fromReply(reply: TokenResult, key: string): TokenResult {
    const timing = { accessExpiresAt: reply.accessExpiresAt, refreshAt: reply.refreshAt, generation: reply.generation, ...(typeof reply.session === 'string' ? { session: reply.session } : {}) };
    if (reply.mode === 'sealed' || typeof (reply as Partial<HandoffTokenResult>).accessToken !== 'string') return { mode: 'sealed', ...timing };
    const result: HandoffTokenResult = { mode: 'handoff', accessToken: reply.accessToken, ...timing };
    this.remember(key, result);
    return result;
  }

  /** Keeps a token the worker gave for `key`, unless this tab already holds a newer one. */
  remember(key: string, result: HandoffTokenResult): void {
    if (result.session !== undefined) {
      this.#sessionOfToken.set(result.accessToken, result.session);
      if (this.#sessionOfToken.size > MAX_TOKENS_REMEMBERED) this.#sessionOfToken.delete(this.#sessionOfToken.keys().next().value!);
    }
    const cached = this.#cached.get(key);
    if (!cached || result.generation >= cached.generation) this.#cached.set(key, result);
  }

  /** The session a recent token of this tab belongs to. */
  sessionOf(token: string): string | undefined {
    return this.#sessionOfToken.get(token);
  }

  /** Forgets every cached token (a login, a logout, a session end, a worker gone). */
  clear(): void {
    this.#cached.clear();
  }
}
