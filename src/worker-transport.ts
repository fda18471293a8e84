/** The client's way to the broker in its service worker: a message per request, events from the worker (rule 15 watched). */
import type { BrokerError, OkReply, RequestFieldsByType, RequestType } from '../protocol/index.js';
import { sendToWorker } from './send-to-worker.js';
import type { BrokerTransport } from './transport.js';
import { PROBE_MS, WorkerPresence, waitForActive } from './worker-presence.js';

/** The bound on each message to the worker: above the worker's own (lock 20 s), so the worker's typed error arrives first. */
export const DEFAULT_MESSAGE_TIMEOUT_MS = 25_000;

/** The message bounds of a client's options, with their defaults. */
export function messageTimeouts(options: { timeoutMs?: number; resendAfterMs?: number }): WorkerTransportOptions {
  return { timeoutMs: options.timeoutMs ?? DEFAULT_MESSAGE_TIMEOUT_MS, resendAfterMs: options.resendAfterMs ?? 3_000 };
}

export interface WorkerTransportOptions {
  timeoutMs: number;
  resendAfterMs: number;
  /** The script the page registered: a worker running another must answer a ping before it is trusted (a foreign one is `sw-foreign`). */
  scriptUrl?: string;
}

export class WorkerTransport implements BrokerTransport {
  readonly #registration: ServiceWorkerRegistration;
  readonly #options: WorkerTransportOptions;
  /** Rule 15: whether the worker still exists, and is still the broker (`worker-presence.ts`). */
  readonly #presence: WorkerPresence;
  #receive: ((event: MessageEvent) => void) | undefined;

  constructor(registration: ServiceWorkerRegistration, options: WorkerTransportOptions) {
    this.#registration = registration;
    this.#options = options;
    this.#presence = new WorkerPresence(registration, {
      scriptUrl: options.scriptUrl,
      probe: (worker) => sendToWorker(worker, 'ping', {}, { timeoutMs: Math.min(PROBE_MS, options.timeoutMs), resendAfterMs: options.resendAfterMs }),
    });
  }

  get scope(): string {
    return this.#registration.scope;
  }

  /** Calls `handler` once when the worker is found unregistered or replaced by a foreign one. */
  onGone(handler: (error: BrokerError) => void): void {
    this.#presence.onGone(handler);
  }

  listen(receive: (data: unknown) => void): void {
    this.#receive = (event) => receive(event.data);
    navigator.serviceWorker.addEventListener('message', this.#receive);
    // Messages from the worker wait in a queue until this is called.
    navigator.serviceWorker.startMessages();
  }

  close(): void {
    if (this.#receive) navigator.serviceWorker.removeEventListener('message', this.#receive);
  }

  async send<T extends RequestType>(type: T, fields: RequestFieldsByType[T]): Promise<OkReply<T>> {
    if (!this.#registration.active) await this.#presence.check();
    if (this.#presence.gone) throw this.#presence.gone;
    const worker = await this.#brokerWorker();
    // While it waits: `sw-unregistered` within seconds if the worker was unregistered, rather than a timeout.
    return this.#presence.whileWaiting(sendToWorker(worker, type, fields, this.#options));
  }

  /** The registration's active worker (so an uncontrolled page, first load or Shift+Reload, works too), once it is the broker. */
  async #brokerWorker(): Promise<ServiceWorker> {
    const { timeoutMs, scriptUrl } = this.#options;
    let active = this.#registration.active ?? (await waitForActive(this.#registration, timeoutMs));
    if (scriptUrl && active.scriptURL !== scriptUrl) {
      // Just registered over another worker (a reload after Angular's took the scope): ours may be on its way.
      const ours = [this.#registration.installing, this.#registration.waiting].find((worker) => worker?.scriptURL === scriptUrl);
      if (ours) active = await untilActiveOrWaiting(this.#registration, ours, timeoutMs);
      if (active.scriptURL === scriptUrl) return active;
    }
    await this.#presence.vet(active);
    // The registration may have moved on to the broker while the other worker was probed.
    return this.#registration.active ?? active;
  }
}

/**
 * The registration's active worker once `worker` is active, or as soon as `worker` waits behind
 * another active one (it would wait as long as that one controls a tab: the caller probes that one).
 */
async function untilActiveOrWaiting(registration: ServiceWorkerRegistration, worker: ServiceWorker, timeoutMs: number): Promise<ServiceWorker> {
  const deadline = Date.now() + timeoutMs;
  const moving = () => worker.state === 'installing' || worker.state === 'activating' || (worker.state === 'installed' && !registration.active);
  while (registration.active !== worker && moving() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
  return registration.active ?? waitForActive(registration, Math.max(0, deadline - Date.now()));
}
