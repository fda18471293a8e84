/**
 * The session snapshot's shape and its starting value, apart from the registry that keeps it:
 * the page entry exports the starting value for the bindings without loading the client.
 */
import type { SessionStatus } from '../protocol/index.js';

/**
 * The session as this page last learnt it, for UI state (`useSyncExternalStore`, a Vue
 * ref): `starting` until the worker first answered. The same object until something changes.
 */
export interface SessionSnapshot {
  state: 'starting' | 'logged-in' | 'logged-out';
  /** The worker's last word on the session; null while starting. */
  status: SessionStatus | null;
  /** The id_token's claims (`status.claims`), or null. */
  claims: Record<string, unknown> | null;
}

/** The snapshot before the worker first answered: the bindings start from it. */
export const STARTING_SNAPSHOT: SessionSnapshot = Object.freeze({ state: 'starting', status: null, claims: null });
