/** The demo server's mutable state in one place: the settings tests change, and what it recorded. */
import type { GrantResult } from './auth.js';

/** What a test can make the refresh endpoints do. */
export type RefreshFault = 'none' | '500' | '503' | 'garbage' | 'hang' | 'reset';

export interface Note {
  n: number;
  text: string;
  user: string;
  tab: string | null;
  madeAt: number | null;
  arrivedAt: number;
  idempotencyKey: string | null;
}

export class ServerState {
  // Settings (the demo's switches and the test hooks).
  fault: RefreshFault = 'none';
  /** Simulated token-endpoint latency. */
  refreshDelayMs: number;
  /** Appended to the served worker scripts, so a test can publish a new worker version. */
  workerVersionTag = '';
  /**
   * True: every request but the test hooks and stats has its connection dropped, which a
   * browser sees as being offline (for engines whose automation cannot emulate offline).
   */
  networkDown = false;
  /** Which build of the example PWA is served at /pwa/. */
  pwaVersion: '1' | '2' = '1';
  /**
   * False (the default): a refresh whose client went away before the answer is not rotated,
   * the lenient rule a grace period gives on real servers. True: rotated anyway, as a real
   * server without a grace period does, so a test can show what a grace period changes.
   */
  rotateWhenClientGone = false;
  /** How old a DPoP proof may be, in seconds (RFC 9449 §11.1 leaves the window to the server). */
  dpopMaxAgeSeconds = 60;
  /**
   * Quirks of real deployments, for the fault tests: a server (or a proxy) that ignores
   * DPoP proofs, one that sends no `expires_in`, and a `Retry-After` on injected outages.
   */
  ignoreDpop = false;
  /** The API asks for a DPoP nonce (RFC 9449 §9): a proof without the current one gets `use_dpop_nonce`. */
  requireDpopNonce = false;
  /** The API's current DPoP nonce. */
  dpopNonce = `n-${Math.random().toString(36).slice(2)}`;
  /** How many `use_dpop_nonce` challenges the API answered (a test counts them). */
  dpopNonceChallenges = 0;
  omitExpiresIn = false;
  retryAfterSeconds = 0;
  /** How long a refresh's answer takes on its way back, after the server rotated (a slow network). */
  refreshAnswerDelayMs = 0;
  /** This many writes are applied and then their answer is lost (the connection dropped). */
  loseWriteAnswers = 0;
  /** `GET /api/recent-login`: how old a login may be, in seconds, before the API asks for a step-up (RFC 9470). */
  stepUpMaxAgeSeconds = 60;

  // Records (cleared with the stats).
  /** `POST /api/notes`: what arrived, in order. */
  notes: Note[] = [];
  /**
   * `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header) → the first answer to the
   * write that carried it, per user: the same key gets that answer again, never a second write.
   */
  answeredWrites = new Map<string, { status: number; body: unknown }>();
  /** Writes answered from `answeredWrites` (a repeat the server recognised). */
  writesDeduplicated = 0;
  /** Refresh requests that arrived, counted before the simulated latency (`refreshes` counts them once the server looked). */
  refreshesReceived = 0;
  /** When each successful login was granted, and to whom (`GET /auth/test/logins`: the soak's witness of who was logged in when). */
  loginLog: Array<{ user: string; at: number }> = [];
  /** What `/auth/test/echo` saw: whether a token reached a URL outside the API allowlist. */
  echoes: Array<{ authorization: string | null }> = [];

  constructor(refreshDelayMs = 0) {
    this.refreshDelayMs = refreshDelayMs;
  }

  /** `POST /auth/stats/reset`: the records start again (the settings stay). */
  clearRecords(): void {
    this.notes = [];
    this.answeredWrites = new Map();
    this.writesDeduplicated = 0;
    this.refreshesReceived = 0;
    this.loginLog = [];
    this.dpopNonceChallenges = 0;
  }

  /** Records a successful login; returns the grant unchanged. */
  logged(grant: GrantResult, user: unknown): GrantResult {
    if (grant.ok && typeof user === 'string' && this.loginLog.length < 10_000) this.loginLog.push({ user, at: Date.now() });
    return grant;
  }
}
