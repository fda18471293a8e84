/** The client's way to the broker in its service worker: a message per request, events from the worker (rule 15 watched). */
import type { OkReply, RequestFieldsByType, RequestType } from '../protocol/index.js';
import { sendToWorker } from './send-to-worker.js';
import type { BrokerTransport } from './transport.js';
import { WorkerPresence, waitForActive } from './worker-presence.js';

export class WorkerTransport implements BrokerTransport {
  readonly #registration: ServiceWorkerRegistration;
  readonly #timeoutMs: number;
  readonly #resendAfterMs: number;
  /** Rule 15: whether the worker still exists (`worker-presence.ts`). */
  readonly #presence: WorkerPresence;
  #receive: ((event: MessageEvent) => void) | undefined;

  /** @param onGone called once when the worker is found unregistered (the client signs out). */
  constructor(registration: ServiceWorkerRegistration, options: { timeoutMs: number; resendAfterMs: number }, onGone: () => void) {
    this.#registration = registration;
    this.#timeoutMs = options.timeoutMs;
    this.#resendAfterMs = options.resendAfterMs;
    this.#presence = new WorkerPresence(registration, onGone);
  }

  get scope(): string {
    return this.#registration.scope;
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
    // The registration's active worker, so an uncontrolled page (first load, Shift+Reload) works too.
    const worker = this.#registration.active ?? (await waitForActive(this.#registration, this.#timeoutMs));
    // While it waits: `sw-unregistered` within seconds if the worker was unregistered, rather than a timeout.
    return this.#presence.whileWaiting(sendToWorker(worker, type, fields, { timeoutMs: this.#timeoutMs, resendAfterMs: this.#resendAfterMs }));
  }
}
