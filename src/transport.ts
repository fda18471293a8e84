/**
 * How a BrokerClient reaches its broker: the service worker (`worker-transport.ts`), or, where
 * no worker can run, the page-side broker (`fallback/`). The client speaks the same protocol
 * to both; only the way there differs.
 */
import type { BrokerError, OkReply, RequestFieldsByType, RequestType } from '../protocol/index.js';

export interface BrokerTransport {
  /** Keys this page's per-broker state (the redirect check): the worker's scope, or the fallback's equivalent. */
  readonly scope: string;
  /** Sends one request; resolves with its successful reply, rejects with the typed error of a failed one. */
  send<T extends RequestType>(type: T, fields: RequestFieldsByType[T]): Promise<OkReply<T>>;
  /** Delivers every broker event (unchecked data: the client checks it) to `receive`, from now on. */
  listen(receive: (data: unknown) => void): void;
  /** Stops delivering events. */
  close(): void;
  /** Calls `handler` once if the broker becomes unreachable for good (its worker unregistered or replaced); transports without that never call it. */
  onGone?(handler: (error: BrokerError) => void): void;
}
