/**
 * The page's view of the session and everyone listening to it: one registry for the
 * snapshot's subscribers, the event handlers and the sign-out handlers (TanStack Query's
 * `Subscribable` idea), and one place (`learn`) that rebuilds the snapshot.
 */
import type { BrokerEvent, BrokerEventType, SessionStatus } from '../protocol/index.js';
import { STARTING_SNAPSHOT, type SessionSnapshot } from './session-snapshot.js';

export { STARTING_SNAPSHOT, type SessionSnapshot } from './session-snapshot.js';

/** A handler for broker events; receives the event without any token. */
export type BrokerEventHandler = (event: BrokerEvent) => void;

/** Why a session this page saw ended: a logout (in any tab) or the server (revoked, expired, reuse). */
export type SignOutReason = 'logout' | 'ended';

/** Called after every snapshot change and every broker event (with the event). */
export type SessionListener = (snapshot: SessionSnapshot, event?: BrokerEvent) => void;

/** One registered callback, by what it listens to. */
type Entry =
  | { kind: 'event'; type: BrokerEventType; handler: BrokerEventHandler }
  | { kind: 'signed-out'; handler: (reason: SignOutReason) => void }
  | { kind: 'session'; listener: SessionListener };

export class SessionListeners {
  #snapshot: SessionSnapshot = STARTING_SNAPSHOT;
  readonly #entries = new Set<Entry>();

  get snapshot(): SessionSnapshot {
    return this.#snapshot;
  }

  /** Adds a callback (a new entry per call: one function added twice is called twice); returns its removal. */
  add(entry: Entry): () => void {
    this.#entries.add(entry);
    return () => void this.#entries.delete(entry);
  }

  /** Hands a broker event to its handlers (before the status it carries is learnt). */
  event(event: BrokerEvent): void {
    for (const entry of [...this.#entries]) if (entry.kind === 'event' && entry.type === event.event) guarded(entry.handler, event);
  }

  /**
   * Takes in a status the worker sent, rebuilds the snapshot when it changed, and reports a
   * sign-out when a session this page knew of is gone (`reason`: how it ended, when known).
   *
   * @returns true when the session is logged out now.
   */
  learn(status: SessionStatus, reason?: SignOutReason, event?: BrokerEvent): boolean {
    const previous = this.#snapshot;
    const state = status.loggedIn ? 'logged-in' : 'logged-out';
    const changed = previous.state !== state || JSON.stringify(previous.status) !== JSON.stringify(status);
    if (changed) this.#snapshot = Object.freeze({ state, status: { ...status }, claims: status.claims ?? null });
    if (previous.state === 'logged-in' && state === 'logged-out') {
      // Without a reason (a status read found the session gone): the worker or the server ended it.
      for (const entry of [...this.#entries]) if (entry.kind === 'signed-out') guarded(entry.handler, reason ?? 'ended');
    }
    if (changed || event) for (const entry of [...this.#entries]) if (entry.kind === 'session') guarded(entry.listener, this.#snapshot, event);
    return state === 'logged-out';
  }
}

/** Calls a user's callback; one that throws must not stop the others (its error is rethrown on its own). */
function guarded<A extends unknown[]>(callback: (...args: A) => void, ...args: A): void {
  try {
    callback(...args);
  } catch (error) {
    setTimeout(() => {
      throw error;
    });
  }
}
