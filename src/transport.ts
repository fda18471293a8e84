/** One request to the worker over a fresh MessageChannel, bounded by a timeout. */
import {
  BrokerTimeoutError,
  PROTOCOL,
  PROTOCOL_VERSION,
  errorFromWire,
  type BrokerReply,
  type BrokerRequest,
  type OkReply,
  type RequestType,
} from '../protocol/index.js';

let counter = 0;

/** The request fields a caller supplies beside the type; the envelope is added here. */
export type RequestFields<T extends RequestType> = Omit<Extract<BrokerRequest, { type: T }>, 'protocol' | 'v' | 'id' | 'type'>;

/**
 * Requests that are safe to send again: the worker answers a repeat by joining the work
 * in flight or reading the store. A worker stopped mid-request never answers on the old
 * port, so these are re-sent to wake a fresh one.
 */
const RESENDABLE: ReadonlySet<RequestType> = new Set(['ping', 'status', 'getToken', 'refresh']);

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
  fields: RequestFields<T>,
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
    const resender = RESENDABLE.has(type) ? setInterval(() => !settled && post(), resendAfterMs) : undefined;
    post();
  });
}
