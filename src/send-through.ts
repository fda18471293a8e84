/**
 * Each client's way to its worker, for the vault frame's relay: not a method, so not part of
 * the client users see. Not exported by the package.
 */
import type { OkReply, RequestFieldsByType, RequestType } from '../protocol/index.js';

export type Send = <T extends RequestType>(type: T, fields: RequestFieldsByType[T]) => Promise<OkReply<T>>;

/** Filled by each `BrokerClient` at construction. */
export const messengers = new WeakMap<object, Send>();

/**
 * Sends a request through `client` to its worker (bounded, re-sent when safe, `sw-unregistered`
 * when the worker is gone). For the vault frame, which relays the app's `authorize` and
 * `finishLogin` calls (WebKit keys a frame's workers by the top-level origin, so its callback
 * comes back to the app); pages use the client's methods.
 */
export function sendThrough<T extends RequestType>(client: object, type: T, fields: RequestFieldsByType[T]): Promise<OkReply<T>> {
  const send = messengers.get(client);
  if (!send) throw new TypeError('sendThrough needs a BrokerClient');
  return send(type, fields);
}
