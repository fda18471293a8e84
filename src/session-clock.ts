/**
 * What a tab does with the session's deadlines (`status().sessionExpiresAt`, `idleExpiresAt`):
 * it hears `session-expiring` once before an end nothing will move; at the end it asks the
 * worker, which ends the session and tells every tab; and near an idle deadline it sends the
 * keep-alive (while open, or only while visible), which the worker turns into one refresh for
 * every tab. Timers live in pages, not in the worker: a browser stops idle workers.
 */
import type { PingResult, SessionStatus } from '../protocol/index.js';

export interface ClockHost {
  /** Asks the worker for the status (it ends a session past its deadline, and tells every tab). */
  status(): Promise<unknown>;
  keepAlive(): Promise<unknown>;
  /** Tells this tab's listeners that the session ends at `endsAt`. */
  expiring(status: SessionStatus, endsAt: number): void;
}

/** setTimeout's longest delay; a later deadline is scheduled at the next status. */
const MAX_DELAY_MS = 2 ** 31 - 1;
/** The keep-alive is sent this long before an idle deadline at most (a quarter of the time left for short ones). */
const KEEP_ALIVE_LEAD_MS = 60_000;
/** A failed keep-alive is not tried again with less than this left before the idle deadline. */
const KEEP_ALIVE_RETRY_MIN_MS = 2_000;

export class SessionClock {
  readonly #host: ClockHost;
  #settings: NonNullable<PingResult['lifetimes']> | undefined;
  #timers: Array<ReturnType<typeof setTimeout>> = [];
  #last: SessionStatus | undefined;
  /** The ends this tab already warned about (once each). */
  readonly #warned = new Set<string>();
  /**
   * When this tab first saw each deadline: leads are fractions of the time from then, so a
   * status learnt later (pages poll it) does not push the warning or the keep-alive on.
   */
  readonly #firstSeen = new Map<number, number>();

  constructor(host: ClockHost) {
    this.#host = host;
    if (typeof document !== 'undefined') document.addEventListener('visibilitychange', () => this.#last && this.update(this.#last));
  }

  /** The worker's settings (its ping); without them (an older worker) nothing is scheduled. */
  set settings(settings: PingResult['lifetimes']) {
    this.#settings = settings;
  }

  /** Schedules what the status calls for, replacing what was scheduled. */
  update(status: SessionStatus): void {
    this.#last = status;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers = [];
    const settings = this.#settings;
    const end = status.sessionExpiresAt ?? null;
    const idle = status.idleExpiresAt ?? null;
    if (!settings || !status.loggedIn || end === null) return;
    const now = Date.now();
    const left = (deadline: number) => {
      if (!this.#firstSeen.has(deadline)) this.#firstSeen.set(deadline, now);
      if (this.#firstSeen.size > 16) this.#firstSeen.delete(this.#firstSeen.keys().next().value!);
      return deadline - this.#firstSeen.get(deadline)!;
    };
    const visible = typeof document === 'undefined' || document.visibilityState === 'visible';
    const keepsAlive = idle !== null && (settings.keepAlive === 'open' || (settings.keepAlive === 'visible' && visible));
    // The keep-alive moves an idle end: only an end it cannot move is warned about.
    const warnFor = keepsAlive && end >= idle ? null : end;
    if (warnFor !== null) {
      const key = `${status.session}:${warnFor}`;
      const lead = Math.min(settings.warnBeforeMs, left(warnFor) / 2);
      this.#at(warnFor - lead, () => {
        if (this.#warned.has(key)) return;
        this.#warned.add(key);
        this.#host.expiring(status, warnFor);
      });
    }
    // Just after the end: the worker finds it over, ends it and tells every tab.
    this.#at(end + 50, () => void this.#host.status().catch(() => undefined));
    if (keepsAlive) this.#at(idle - Math.min(KEEP_ALIVE_LEAD_MS, left(idle) / 4), () => this.#keepAlive(idle));
  }

  /** A keep-alive that failed (offline, the token endpoint down) is tried again halfway to the deadline, while there is time. */
  #keepAlive(idle: number): void {
    this.#host.keepAlive().catch(() => {
      const left = idle - Date.now();
      if (left > KEEP_ALIVE_RETRY_MIN_MS) this.#at(Date.now() + left / 2, () => this.#keepAlive(idle));
    });
  }

  #at(time: number, run: () => void): void {
    const delay = Math.max(0, time - Date.now());
    if (delay <= MAX_DELAY_MS) this.#timers.push(setTimeout(run, delay));
  }
}
