/**
 * Whether the broker's worker still exists (rule 15): clearing a site's data unregisters it,
 * and a page that kept sending it messages would wait for each to time out. A worker that
 * becomes `redundant` with no successor, or a registration that is gone while a message waits,
 * makes every message fail at once with `sw-unregistered`.
 */
import { BrokerTimeoutError, ServiceWorkerGoneError } from '../protocol/index.js';

/** How often a message that waits for the worker checks that the worker still exists. */
const CHECK_MS = 2_000;

export class WorkerPresence {
  readonly #registration: ServiceWorkerRegistration;
  readonly #onGone: () => void;
  /** Set once the worker was unregistered. */
  #gone: ServiceWorkerGoneError | undefined;

  /** @param onGone called once, when the worker is found gone (the client signs out). */
  constructor(registration: ServiceWorkerRegistration, onGone: () => void) {
    this.#registration = registration;
    this.#onGone = onGone;
    this.#watch(registration.active);
  }

  /** The error every message fails with once the worker is gone; undefined while it exists. */
  get gone(): ServiceWorkerGoneError | undefined {
    return this.#gone;
  }

  #watch(worker: ServiceWorker | null): void {
    if (typeof worker?.addEventListener !== 'function') return;
    worker.addEventListener('statechange', () => {
      if (worker.state !== 'redundant') return;
      // An update replaces the worker too: only a registration without any worker is gone.
      setTimeout(() => {
        const next = this.#registration.active;
        if (next && next !== worker) this.#watch(next);
        else void this.check();
      }, 500);
    });
  }

  /** Resolves true (and marks the worker gone) when the registration no longer exists. */
  async check(): Promise<boolean> {
    if (this.#gone) return true;
    let current: ServiceWorkerRegistration | undefined;
    try {
      current = await navigator.serviceWorker.getRegistration(this.#registration.scope);
    } catch {
      return false; // cannot tell: the message's own timeout still bounds the wait
    }
    if (current?.active || current?.waiting || current?.installing) return false;
    this.#gone = new ServiceWorkerGoneError(
      `The token broker's service worker for ${this.#registration.scope} was unregistered (this site's data was cleared, or code called unregister()): reload the page to register it again`,
    );
    this.#onGone();
    return true;
  }

  /** `reply`, or `sw-unregistered` as soon as a check every 2 s finds the worker gone. */
  async whileWaiting<T>(reply: Promise<T>): Promise<T> {
    let poll: ReturnType<typeof setInterval> | undefined;
    const gone = new Promise<never>((_resolve, reject) => {
      poll = setInterval(() => void this.check().then((isGone) => isGone && reject(this.#gone)), CHECK_MS);
    });
    gone.catch(() => undefined); // settled by the race below, or never: not an unhandled rejection
    try {
      return await Promise.race([reply, gone]);
    } finally {
      clearInterval(poll);
    }
  }
}

/** Resolves when the registration has an active worker. */
export function waitForActive(registration: ServiceWorkerRegistration, timeoutMs: number): Promise<ServiceWorker> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (registration.active) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(registration.active);
      }
    };
    // statechange fires on the installing worker, which may be replaced; polling is simpler and bounded.
    const poll = setInterval(check, 25);
    const timer = setTimeout(() => {
      clearInterval(poll);
      reject(new BrokerTimeoutError(`The service worker did not activate within ${timeoutMs} ms`));
    }, timeoutMs);
    check();
  });
}
