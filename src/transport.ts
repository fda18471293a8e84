/** One request to the worker over a fresh MessageChannel, bounded by a timeout. */
import {
  BrokerTimeoutError,
  PROTOCOL,
  PROTOCOL_VERSION,
  errorFromWire,
  type BrokerReply,
  type OkReply,
  type RequestType,
  type BrokerRequest,
} from '../protocol/index.js';

let counter = 0;

/** The request fields a caller supplies beside the type; the envelope is added here. */
export type RequestFields<T extends RequestType> = Omit<Extract<BrokerRequest, { type: T }>, 'protocol' | 'v' | 'id' | 'type'>;

/**
 * Sends `body` to `worker` and resolves with its successful reply.
 *
 * @throws BrokerTimeoutError when no reply comes within `timeoutMs`; the rebuilt typed error for an error reply.
 */
export function sendToWorker<T extends RequestType>(
  worker: ServiceWorker,
  type: T,
  fields: RequestFields<T>,
  timeoutMs: number,
): Promise<OkReply<T>> {
  const id = `${Date.now().toString(36)}-${(++counter).toString(36)}`;
  const message = { ...fields, type, protocol: PROTOCOL, v: PROTOCOL_VERSION, id };
  return new Promise((resolve, reject) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => {
      channel.port1.close();
      reject(new BrokerTimeoutError(`The service worker did not answer '${type}' within ${timeoutMs} ms`));
    }, timeoutMs);
    channel.port1.onmessage = (event: MessageEvent<BrokerReply<T>>) => {
      clearTimeout(timer);
      channel.port1.close();
      const reply = event.data;
      if (reply && reply.ok === true) resolve(reply);
      else reject(errorFromWire(reply && (reply as { error?: unknown }).error));
    };
    try {
      worker.postMessage(message, [channel.port2]);
    } catch (error) {
      clearTimeout(timer);
      reject(new BrokerTimeoutError('The message could not be posted to the service worker', { cause: error }));
    }
  });
}
