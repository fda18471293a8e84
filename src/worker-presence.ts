/**
 * Whether the broker's worker still exists (rule 15): clearing a site's data unregisters it,
 * and a page that kept sending it messages would wait for each to time out. A worker that
 * becomes `redundant` with no successor, or a registration that is gone while a message waits,
 * makes every message fail at once with `sw-unregistered`.
 *
 * And whether it is still the broker: another worker registered for the same scope (Angular's
 * `ngsw-worker.js`, a PWA plugin's) replaces it, answers no broker message, and every call
 * would wait out its timeout while API calls fail bare. A worker with another script that does
 * not answer a ping within seconds makes every message fail at once with `sw-foreign`, naming it.
 */
import { BrokerTimeoutError, ForeignWorkerError, ServiceWorkerGoneError, type BrokerError } from '../protocol/index.js';

/** How often a message that waits for the worker checks that the worker still exists. */
const CHECK_MS = 2_000;
/** How long a worker with an unknown script has to answer a ping before it counts as foreign. */
export const PROBE_MS = 4_000;
/** After the worker turned redundant: how long before its successor is looked at, and how many looks before giving up. */
const SUCCESSOR_WAIT_MS = 500;
const SUCCESSOR_LOOKS = 20;

export interface PresenceOptions {
  /** The script the page registered (resolved): a worker running another is pinged before it is trusted. */
  scriptUrl?: string;
  /** Pings `worker`; resolves when it answered as a broker. */
  probe: (worker: ServiceWorker) => Promise<unknown>;
}

export class WorkerPresence {
  readonly #registration: ServiceWorkerRegistration;
  readonly #options: PresenceOptions;
  readonly #goneHandlers: ((error: BrokerError) => void)[] = [];
  /** Workers that answered as a broker (or run the registered script). */
  readonly #brokers = new WeakSet<ServiceWorker>();
  /** Workers whose `statechange` this watches (each once). */
  readonly #watched = new WeakSet<ServiceWorker>();
  /** Set once the worker was unregistered or replaced by a foreign one. */
  #gone: ServiceWorkerGoneError | ForeignWorkerError | undefined;

  constructor(registration: ServiceWorkerRegistration, options: PresenceOptions) {
    this.#registration = registration;
    this.#options = options;
    this.#watch(registration.active);
  }

  /** Calls `handler` once, when the worker is found gone or foreign (the client signs out). */
  onGone(handler: (error: BrokerError) => void): void {
    this.#goneHandlers.push(handler);
  }

  /** The error every message fails with once the worker is gone or foreign; undefined while it is the broker. */
  get gone(): ServiceWorkerGoneError | ForeignWorkerError | undefined {
    return this.#gone;
  }

  #watch(worker: ServiceWorker | null): void {
    if (typeof worker?.addEventListener !== 'function' || this.#watched.has(worker)) return;
    this.#watched.add(worker);
    worker.addEventListener('statechange', () => {
      if (worker.state === 'redundant') this.#judgeSuccessor(worker, SUCCESSOR_LOOKS);
    });
  }

  /**
   * After `old` turned redundant: an update replaces the worker too, so only a registration
   * without any worker is gone, and a successor running another script is vetted now (every
   * tab learns of a foreign one at once, not at its next request). Looks again until it has a
   * verdict: the successor may still be installing, or its probe may fail without timing out.
   */
  #judgeSuccessor(old: ServiceWorker, looksLeft: number): void {
    setTimeout(() => void this.#lookAtSuccessor(old).then((decided) => decided || looksLeft <= 1 || this.#judgeSuccessor(old, looksLeft - 1)), SUCCESSOR_WAIT_MS);
  }

  /** Resolves true once the successor of `old` is judged (gone, foreign, or the broker). */
  async #lookAtSuccessor(old: ServiceWorker): Promise<boolean> {
    if (this.#gone) return true;
    const next = this.#registration.active;
    if (!next || next === old) return this.check();
    this.#watch(next);
    // Not hidden: a foreign worker marks the broker gone (every tab and message told sw-foreign);
    // any other failure is no verdict, looked at again, and a message sent meanwhile vets it itself.
    await this.vet(next).catch(() => undefined);
    return this.#gone !== undefined || this.#trusted(next);
  }

  /** True for a worker known to be the broker: it runs the registered script or answered a ping. */
  #trusted(worker: ServiceWorker): boolean {
    return this.#brokers.has(worker) || !this.#options.scriptUrl || worker.scriptURL === this.#options.scriptUrl;
  }

  /**
   * Resolves when `worker` is the broker: it runs the registered script, or answers a ping
   * within {@link PROBE_MS}. Else marks the broker gone and rejects with `sw-foreign`.
   */
  async vet(worker: ServiceWorker): Promise<void> {
    if (this.#gone) throw this.#gone;
    if (this.#trusted(worker)) return;
    try {
      await this.#options.probe(worker);
      this.#brokers.add(worker);
    } catch (failure) {
      if (!(failure instanceof BrokerTimeoutError)) throw failure;
      // The registration may have moved on meanwhile (ours installed again): judge only the active worker.
      if (this.#registration.active !== worker) return;
      const script = worker.scriptURL;
      this.#markGone(
        new ForeignWorkerError(
          `Another service worker (${script}) took the scope ${this.#registration.scope} of the token broker's worker (${this.#options.scriptUrl}) and does not answer it: no token can be had here. Run both in one worker (Angular's ngsw: importScripts('./ngsw-worker.js') in the broker's worker, see docs/frameworks.md), or register them for different scopes; then reload.`,
          { details: { url: script } },
        ),
      );
      throw this.#gone;
    }
  }

  #markGone(error: ServiceWorkerGoneError | ForeignWorkerError): void {
    if (this.#gone) return;
    this.#gone = error;
    // A broken app, in production too: say so where its developers look.
    if (error instanceof ForeignWorkerError) console.error(`[sw-token-broker] ${error.message}`);
    for (const handler of this.#goneHandlers) handler(error);
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
    this.#markGone(
      new ServiceWorkerGoneError(
        `The token broker's service worker for ${this.#registration.scope} was unregistered (this site's data was cleared, or code called unregister()): reload the page to register it again`,
      ),
    );
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
