/**
 * axios interceptors backed by the broker: attach the token to API requests, and on a
 * 401 ask the worker for a newer token and retry the request once.
 */
import type { AxiosError, AxiosInstance } from 'axios';
import type { AttachOptions, InterceptorBroker, InterceptorSteps } from './interceptor-types.js';
import { preloaded } from './preload.js';

export type { AttachOptions, InterceptorBroker } from './interceptor-types.js';

declare module 'axios' {
  interface AxiosRequestConfig {
    /** Per-request opt-out: no token attached, no refresh on 401. */
    skipTokenBroker?: boolean;
    /** Per-request opt-out of the refresh on 401 only (the name axios-auth-refresh uses). */
    skipAuthRefresh?: boolean;
    /**
     * Set by the broker on a retried request; not yours to set. A string key, not a Symbol:
     * axios merges configs with `Object.keys`, which drops Symbol keys.
     */
    swTokenBrokerRetried?: 'refreshed' | 'stale';
    /** @internal Sent once more with a proof carrying the server's DPoP nonce. */
    swTokenBrokerNonceRetried?: boolean;
  }
}

/**
 * Attaches the broker to an axios instance.
 *
 * Requests to the worker's API allowlist get `Authorization: Bearer` (handoff mode; in
 * sealed mode the worker adds it and the page never sees it); others get nothing. A 401
 * from an API URL triggers one refresh message per tab (the {@link BrokerClient} shares
 * it between every concurrent 401 of every axios instance attached to it) and one retry; a second 401 is returned as it is. Every request
 * settles: with the response, or with a typed `BrokerError` (`SessionEndedError`,
 * `RefreshUnavailableError`, `BrokerTimeoutError`, `NotLoggedInError`) whose `cause` is the 401.
 *
 * Idempotent per axios instance: attaching the same broker again returns the first
 * attachment's detach function and adds nothing (React StrictMode, remounts, hot reloads);
 * attaching another broker throws until the first is detached.
 *
 * @returns a function that detaches both interceptors.
 * @example
 * const api = axios.create({ baseURL: '/api' });
 * attachTokenBroker(api, await registerTokenBroker('/sw.js'));
 */
export function attachTokenBroker(instance: AxiosInstance, broker: InterceptorBroker, options: AttachOptions = {}): () => void {
  if (!instance?.interceptors) throw new TypeError('attachTokenBroker needs an axios instance');
  if (!broker || typeof broker.reportUnauthorized !== 'function') throw new TypeError('attachTokenBroker needs a BrokerClient');
  const attached = attachments.get(instance);
  if (attached) {
    if (attached.broker === broker) return attached.detach;
    throw new TypeError('attachTokenBroker: this axios instance is attached to another broker; call the detach function attachTokenBroker returned first');
  }
  // The work itself is a chunk of its own (`interceptor-steps.ts`), so the page entry stays small;
  // loaded now, not at the first request, which may be made offline.
  const steps: () => Promise<InterceptorSteps> = preloaded(() => import('./interceptor-steps.js').then((module) => module.interceptorSteps(instance, broker, options)));
  const requestId = instance.interceptors.request.use(async (config) => (await steps()).onRequest(config));
  const responseId = instance.interceptors.response.use(
    async (response) => (await steps()).onResponse(response),
    async (error: AxiosError) => (await steps()).onResponseError(error),
  );
  const detach = () => {
    if (attachments.get(instance)?.detach !== detach) return;
    attachments.delete(instance);
    instance.interceptors.request.eject(requestId);
    instance.interceptors.response.eject(responseId);
  };
  attachments.set(instance, { broker, detach });
  return detach;
}

/** The broker attached to each axios instance, so a second attach adds no second pair of interceptors. */
const attachments = new WeakMap<AxiosInstance, { broker: InterceptorBroker; detach: () => void }>();
