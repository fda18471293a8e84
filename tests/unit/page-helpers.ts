/**
 * Test doubles for the page side: a stand-in for `navigator.serviceWorker` and a scripted
 * service worker that answers the broker's messages on the transferred port, so a real
 * BrokerClient (and the interceptors over it) runs in Node.
 */
import { setMaxListeners } from 'node:events';
import type { Workbox } from 'workbox-window';
import {
  PROTOCOL,
  PROTOCOL_VERSION,
  type BrokerEvent,
  type BrokerEventType,
  type BrokerMode,
  type BrokerRequest,
  type SessionStatus,
} from '../../protocol/index.js';
import { BrokerClient } from '../../src/client.js';

/** Lifts Node's listener cap on `target`; happy-dom's EventTarget (the bindings' tests) has none to lift. */
function uncapListeners(target: EventTarget): void {
  try {
    setMaxListeners(0, target);
  } catch {
    // Not Node's EventTarget: nothing is capped.
  }
}

/** Installs `location` and a `navigator.serviceWorker` event target in this realm; returns the target. */
export function installPageGlobals(href = 'https://app.test/page'): EventTarget & { startMessages(): void } {
  (globalThis as { location?: unknown }).location = new URL(href);
  const container = Object.assign(new EventTarget(), { startMessages() {}, controller: null });
  // Every BrokerClient a test connects listens here (Node's EventTarget caps listeners; happy-dom's does not).
  uncapListeners(container);
  Object.defineProperty(globalThis, 'navigator', { value: { serviceWorker: container }, configurable: true, writable: true });
  // The window's own events (`online`): Node's global is no EventTarget.
  const windowEvents = new EventTarget();
  uncapListeners(windowEvents);
  Object.assign(globalThis, {
    addEventListener: windowEvents.addEventListener.bind(windowEvents),
    removeEventListener: windowEvents.removeEventListener.bind(windowEvents),
    dispatchEvent: windowEvents.dispatchEvent.bind(windowEvents),
  });
  return container;
}

/**
 * A worker that hands out `token-N` and rotates to N+1 on a 401 report for the current
 * token, like the broker; counts the messages it gets.
 */
let workers = 0;

export class ScriptedWorker {
  mode: BrokerMode = 'handoff';
  /** Unique, so clients of earlier tests, still listening, ignore this one's events. */
  name = `test-${++workers}`;
  apiAllowlist = ['https://api.test'];
  current = 1;
  getCalls = 0;
  refreshCalls = 0;
  /** The session identity in token replies and the status. */
  session = 'sid:one';
  /** `refreshAt` in token replies: 0 means "do not cache". */
  refreshAt = 0;
  delayMs = 10;
  /** An error code to fail the next refreshes with, or undefined. */
  failWith: string | undefined;
  received: BrokerRequest[] = [];
  /** What `status` answers; `logout` clears it. */
  loggedIn = true;
  /** With a number: the worker has an offline queue holding that many requests (the ping says so). */
  queuePending: number | undefined;
  /** With a queue: the idempotency key header the ping names. */
  idempotencyKey: string | undefined;
  replayCalls = 0;
  /** The session's tokens are DPoP-bound (handoff with `dpop`): the status says so, and `dpopProof` answers. */
  dpopBound = false;
  /** What successive `replayQueue` calls answer as still pending (then 0). */
  replayAnswers: number[] = [];

  postMessage(data: BrokerRequest, transfer: MessagePort[]): void {
    this.received.push(data);
    void this.#answer(data).then((reply) => transfer[0].postMessage({ id: data.id, ...reply }));
  }

  async #answer(request: BrokerRequest): Promise<Record<string, unknown>> {
    const token = () =>
      this.mode === 'handoff'
        ? { ok: true, mode: 'handoff', accessToken: `token-${this.current}`, accessExpiresAt: 0, refreshAt: this.refreshAt, generation: this.current, session: this.session }
        : { ok: true, mode: 'sealed', accessExpiresAt: 0, refreshAt: this.refreshAt, generation: this.current, session: this.session };
    switch (request.type) {
      case 'ping':
        return { ok: true, version: PROTOCOL_VERSION, name: this.name, mode: this.mode, apiAllowlist: this.apiAllowlist, loginKind: 'password', queuePending: this.queuePending, idempotencyKey: this.idempotencyKey };
      // Rule 14 as the worker applies it: a parameter a page may not set is refused.
      case 'authorize':
        if (request.authorizationParams && 'client_id' in request.authorizationParams) return { ok: false, error: { code: 'forbidden-parameter', message: 'client_id is set by the broker itself; a page can never set it' } };
        return { ok: true, authorizationUrl: `https://id.test/auth?${new URLSearchParams(Object.entries(request.authorizationParams ?? {}).map(([k, v]) => [k, String(v)]))}` };
      case 'dpopProof':
        return this.dpopBound ? { ok: true, proof: `proof(${request.method} ${request.url} ${request.accessToken}${request.nonce ? ` ${request.nonce}` : ''})` } : { ok: true };
      case 'replayQueue':
        this.replayCalls++;
        this.queuePending = this.replayAnswers.shift() ?? 0;
        return { ok: true, pending: this.queuePending };
      // A ping without the status (as older workers answer): the client asks for it.
      case 'status':
        return { ok: true, status: this.loggedIn ? { ...LOGGED_OUT, loggedIn: true, accessExpiresAt: 0, generation: this.current, mode: this.mode, persisted: true, dpopBound: this.dpopBound, session: this.session } : { ...LOGGED_OUT, mode: this.mode } };
      case 'logout':
        this.loggedIn = false;
        // RP-initiated logout: the provider's end-session URL, with the tab's one-time value as its state.
        if (request.endSession) return { ok: true, status: { ...LOGGED_OUT, mode: this.mode }, endSessionUrl: `https://id.test/session/end?state=${request.check}` };
        return { ok: true, status: { ...LOGGED_OUT, mode: this.mode } };
      case 'getToken':
        this.getCalls++;
        return token();
      case 'refresh': {
        this.refreshCalls++;
        await new Promise((resolve) => setTimeout(resolve, this.delayMs));
        if (this.failWith) return { ok: false, error: { code: this.failWith, message: `scripted ${this.failWith}` } };
        const failed = this.mode === 'handoff' ? request.failedToken === `token-${this.current}` : request.failedGeneration === this.current;
        if (failed) this.current++;
        return { ...token(), refreshed: failed };
      }
      default:
        return { ok: false, error: { code: 'unknown-type', message: `not scripted: ${request.type}` } };
    }
  }
}

const LOGGED_OUT: SessionStatus = { loggedIn: false, accessExpiresAt: null, generation: null, mode: 'handoff', refreshRetryAt: null, workerStartedAt: 0, persisted: null, dpopBound: null, claims: null, session: null };

/** A connected BrokerClient talking to `worker`. */
export async function connectClient(worker: ScriptedWorker): Promise<BrokerClient> {
  const registration = { active: worker, scope: 'https://app.test/' } as unknown as ServiceWorkerRegistration;
  const client = new BrokerClient({} as Workbox, registration, { timeoutMs: 2000, resendAfterMs: 1000 });
  await client.connect();
  return client;
}

/** Posts a broker event to the page, as the worker's `clients.postMessage` would. */
export function dispatchBrokerEvent(
  container: EventTarget,
  broker: string,
  event: BrokerEventType,
  generation: number | null = null,
  claims: Record<string, unknown> | null = null,
): BrokerEvent {
  const data: BrokerEvent = {
    protocol: PROTOCOL,
    v: PROTOCOL_VERSION,
    broker,
    event,
    status: { loggedIn: generation !== null, accessExpiresAt: null, generation, mode: 'handoff', refreshRetryAt: null, workerStartedAt: 0, persisted: generation !== null ? true : null, dpopBound: generation !== null ? false : null, claims, session: generation !== null ? 'sid:test' : null },
  };
  container.dispatchEvent(new MessageEvent('message', { data }));
  return data;
}

