/** One request to the worker over a fresh MessageChannel, bounded by a timeout. */
import {
  BrokerTimeoutError,
  PROTOCOL,
  PROTOCOL_VERSION,
  REQUEST_TYPES,
  errorFromWire,
  type BrokerReply,
  type OkReply,
  type RequestFieldsByType,
  type RequestType,
} from '../protocol/index.js';

let counter = 0;

export interface SendOptions {
  /** Overall bound, in ms. */
  timeoutMs: number;
  /** Re-send a resendable request when no reply came for this long (default 3 s). */
  resendAfterMs?: number;
}

/**
 * Sends a request to `worker` and resolves with its successful reply.
 *
 * @throws BrokerTimeoutError when no reply comes within `timeoutMs`; the rebuilt typed error for an error reply.
 */
export function sendToWorker<T extends RequestType>(
  worker: ServiceWorker,
  type: T,
  /** The request's own fields; the envelope (protocol, version, id, type) is added here. */
  fields: RequestFieldsByType[T],
  options: SendOptions | number,
): Promise<OkReply<T>> {
  const { timeoutMs, resendAfterMs = 3000 } = typeof options === 'number' ? { timeoutMs: options } : options;
  const id = `${Date.now().toString(36)}-${(++counter).toString(36)}`;
  const message = { ...fields, type, protocol: PROTOCOL, v: PROTOCOL_VERSION, id };
  return new Promise((resolve, reject) => {
    const ports: MessagePort[] = [];
    let settled = false;
    const finish = () => {
      settled = true;
      clearTimeout(timer);
      clearInterval(resender);
      for (const port of ports) port.close();
    };
    const post = () => {
      const channel = new MessageChannel();
      ports.push(channel.port1);
      channel.port1.onmessage = (event: MessageEvent<BrokerReply<T>>) => {
        if (settled) return;
        finish();
        const reply = event.data;
        if (reply && reply.ok === true) resolve(reply);
        else reject(errorFromWire(reply && (reply as { error?: unknown }).error));
      };
      try {
        worker.postMessage(message, [channel.port2]);
      } catch (error) {
        finish();
        reject(new BrokerTimeoutError('The message could not be posted to the service worker', { cause: error }));
      }
    };
    const timer = setTimeout(() => {
      if (settled) return;
      finish();
      reject(new BrokerTimeoutError(`The service worker did not answer '${type}' within ${timeoutMs} ms`));
    }, timeoutMs);
    // A worker stopped mid-request never answers on the old port: a repeat of a request that
    // is safe to repeat wakes a fresh one.
    const resender = REQUEST_TYPES[type].resendable ? setInterval(() => !settled && post(), resendAfterMs) : undefined;
    post();
  });
}
