/**
 * A session's known limits, in one place: when it ends whatever happens, when it idles out
 * unless refreshed, and when the keep-alive refreshes it. Every deadline is this worker's
 * clock at the moment an answer arrived plus a duration the provider (or the config) gave,
 * never a server's timestamp: a browser clock that is wrong moves nothing early.
 */
import type { StoredSession } from './store.js';

/** `config.session`: limits the provider does not say, the warning, the keep-alive. */
export interface SessionLifetimeOptions {
  /** Ends the session when it was not refreshed for this long (a provider's "SSO Session Idle"). */
  idleTimeoutSeconds?: number;
  /** Ends the session this long after its login, refreshed or not. */
  absoluteLifetimeSeconds?: number;
  /** Every tab hears `session-expiring` this long before the end (default 60 s; at most half the time left). */
  warnBeforeSeconds?: number;
  /**
   * Refreshes before an idle deadline lapses while a tab is open (`true`, the default), only
   * while one is visible (`'visible'`), or never (`false`). One grant for every tab.
   */
  keepAlive?: boolean | 'visible';
}

export interface SessionLimits {
  idleTimeoutMs: number | undefined;
  absoluteLifetimeMs: number | undefined;
  warnBeforeMs: number;
  keepAlive: 'open' | 'visible' | 'off';
}

/** Longer than this, a provider's lifetime is taken for no limit (a year is a mistake, not a session). */
export const MAX_LIFETIME_SECONDS = 90 * 24 * 3600;
/** The keep-alive refreshes this long before an idle deadline at most (less for short ones: a quarter of the idle time). */
const KEEP_ALIVE_LEAD_MS = 60_000;

/** @throws {TypeError} for a config value that is not a positive number of seconds up to {@link MAX_LIFETIME_SECONDS}. */
export function resolveSessionLimits(options: SessionLifetimeOptions | undefined): SessionLimits {
  if (options !== undefined && (typeof options !== 'object' || options === null)) throw new TypeError('config.session must be an object');
  const seconds = (value: unknown, name: string) => {
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !(value > 0) || value > MAX_LIFETIME_SECONDS) throw new TypeError(`config.session.${name} must be a number of seconds > 0 and at most ${MAX_LIFETIME_SECONDS}`);
    return value * 1000;
  };
  const keepAlive = options?.keepAlive ?? true;
  if (keepAlive !== true && keepAlive !== false && keepAlive !== 'visible') throw new TypeError("config.session.keepAlive must be true, false or 'visible'");
  return {
    idleTimeoutMs: seconds(options?.idleTimeoutSeconds, 'idleTimeoutSeconds'),
    absoluteLifetimeMs: seconds(options?.absoluteLifetimeSeconds, 'absoluteLifetimeSeconds'),
    warnBeforeMs: seconds(options?.warnBeforeSeconds, 'warnBeforeSeconds') ?? 60_000,
    keepAlive: keepAlive === 'visible' ? 'visible' : keepAlive ? 'open' : 'off',
  };
}

/**
 * A refresh-token lifetime a provider sent (`refresh_expires_in`, `refresh_token_expires_in`),
 * in seconds, or undefined. Absurd ones (not a number, 0 as Keycloak sends for offline tokens,
 * negative, over {@link MAX_LIFETIME_SECONDS}) are no limit: said once in the console, never a
 * session ended at once.
 */
export function providerLifetimeSeconds(value: unknown): number | undefined {
  if (value === undefined || value === null || value === 0 || value === '0') return undefined;
  const seconds = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof seconds === 'number' && seconds > 0 && seconds <= MAX_LIFETIME_SECONDS) return seconds;
  console.warn(`sw-token-broker: ignored the refresh token lifetime the provider sent (${JSON.stringify(value)?.slice(0, 40)}): not a number of seconds between 1 and ${MAX_LIFETIME_SECONDS}`);
  return undefined;
}

export interface SessionDeadlines {
  /** The earliest end (epoch ms), or null when none is known. */
  sessionExpiresAt: number | null;
  /** The idle deadline, or null. */
  idleExpiresAt: number | null;
  /** Which end comes first: `idle` (not refreshed in time) or `expired` (a lifetime). */
  endsBy: 'idle' | 'expired' | null;
}

/**
 * The deadlines of `session`: idle = its last refresh plus the configured idle timeout, or the
 * provider's refresh-token lifetime while it slides with each refresh, whichever is earlier;
 * absolute = its login plus the configured lifetime, or the provider's once it stopped sliding.
 */
export function deadlinesOf(session: StoredSession, limits: SessionLimits): SessionDeadlines {
  const refreshedAt = session.refreshedAt ?? session.accessIssuedAt;
  // The provider's limit slides with each refresh (idle) until a refresh shows it does not (absolute).
  const provider = session.refreshExpiresAt;
  const idle = earliest(limits.idleTimeoutMs === undefined ? undefined : refreshedAt + limits.idleTimeoutMs, session.refreshExpiresFixed ? undefined : provider);
  const configured = limits.absoluteLifetimeMs === undefined || session.startedAt === undefined ? undefined : session.startedAt + limits.absoluteLifetimeMs;
  const absolute = earliest(configured, session.refreshExpiresFixed ? provider : undefined);
  const end = earliest(idle, absolute);
  return {
    sessionExpiresAt: end ?? null,
    idleExpiresAt: idle ?? null,
    endsBy: end === undefined ? null : end === idle ? 'idle' : 'expired',
  };
}

/**
 * True when the keep-alive should refresh `session` now: its idle deadline is within the lead
 * (a minute, or a quarter of the idle time for short ones) and has not passed.
 */
export function keepAliveDue(session: StoredSession, limits: SessionLimits, now: number): boolean {
  if (limits.keepAlive === 'off') return false;
  const { idleExpiresAt } = deadlinesOf(session, limits);
  if (idleExpiresAt === null || now >= idleExpiresAt) return false;
  const refreshedAt = session.refreshedAt ?? session.accessIssuedAt;
  const lead = Math.min(KEEP_ALIVE_LEAD_MS, (idleExpiresAt - refreshedAt) / 4);
  return now >= idleExpiresAt - lead;
}

function earliest(...times: Array<number | undefined>): number | undefined {
  const known = times.filter((time): time is number => time !== undefined);
  return known.length === 0 ? undefined : Math.min(...known);
}
