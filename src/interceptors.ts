/**
 * axios interceptors backed by the broker: attach the token to API requests, and on a
 * 401 ask the worker for a newer token and retry the request once.
 */
import type { AxiosError, AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { ERROR_HEADER, GENERATION_HEADER, RETRIED_HEADER, SESSION_HEADER, errorFromWire, isBrokerError, toWireError } from '../protocol/index.js';
import type { BrokerClient } from './client.js';
import { credentialHeaders, stepUpErrorFor, takeDpopNonce, tokenAfterUnauthorized, tokenInHeader, tokenToSend } from './handoff-token.js';
import { hint, isDevelopment } from './hints.js';
import { idempotencyKeyFor } from './idempotency-key.js';
import { resolveRequestUrl } from './request-url.js';

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

/** The part of BrokerClient the interceptors use; tests supply a scripted one. */
export type InterceptorBroker = Pick<BrokerClient, 'getAccessToken' | 'reportUnauthorized' | 'isApiUrl' | 'mode'> & Partial<Pick<BrokerClient, 'queuesOffline' | 'idempotencyKeyHeader' | 'dpopProof'>>;

export interface AttachOptions {
  /** Statuses that mean "token rejected" (default `[401]`); used when `shouldRefresh` is not given. */
  statusCodes?: number[];
  /**
   * Decides which failed responses mean "token rejected", instead of `statusCodes` (as in
   * axios-auth-refresh, where it replaces the status check). Return false to leave a
   * response alone (no refresh, no retry).
   */
  shouldRefresh?: (error: AxiosError) => boolean;
  /**
   * Called after a refresh, before the retry. May change the config in place or return a
   * config to retry with instead (as axios-auth-refresh's `onRetry` does).
   */
  onRefreshed?: (config: InternalAxiosRequestConfig) => void | InternalAxiosRequestConfig | Promise<void | InternalAxiosRequestConfig>;
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
  const statusCodes = options.statusCodes ?? [401];

  // The URL the request will really use: axios's own URL building, resolved as XHR resolves it.
  const urlOf = (config: InternalAxiosRequestConfig) => resolveRequestUrl(instance.getUri(config));

  const onRequest = async (config: InternalAxiosRequestConfig) => {
    if (config.skipTokenBroker || !broker.isApiUrl(urlOf(config))) return config;
    // Set once: a retry after a 401 goes out with the same config, and so the same key.
    const keyed = idempotencyKeyFor(broker, config.method, (header) => config.headers.has(header));
    if (keyed) config.headers.set(keyed.header, keyed.key);
    if (broker.mode === 'sealed') return config;
    const token = await tokenToSend(broker, urlOf(config));
    if (token !== undefined) config.headers.set(await credentialHeaders(broker, config.method ?? 'get', urlOf(config), token));
    return config;
  };

  /** The token to retry with (handoff; none in sealed mode, where the worker signs), and whether the worker refreshed for it. */
  const nextToken = async (config: InternalAxiosRequestConfig, error: AxiosError): Promise<{ token?: string; refreshed: boolean }> => {
    if (broker.mode === 'sealed') {
      const { refreshed } = await broker.reportUnauthorized({ failedGeneration: generationOf(error), session: sessionOf(error), url: urlOf(config).href });
      return { refreshed };
    }
    return tokenAfterUnauthorized(broker, bearerOf(config), urlOf(config));
  };

  const onResponseError = async (error: AxiosError) => {
    const config = error.config;
    const status = error.response?.status;
    if (!config || status === undefined) throw error;
    if (options.shouldRefresh ? !options.shouldRefresh(error) : !statusCodes.includes(status)) throw error;
    // How a request was retried. `refreshed`: after a refresh, so a second 401 is final.
    // `stale`: with a newer token the worker already held, which the server may reject too
    // (it expired tokens early): that token is reported once more, then the answer is final.
    const previous = config.swTokenBrokerRetried;
    // Sealed mode: the worker already refreshed and retried this request; its answer is final.
    if (retriedByWorker(error)) throw error;
    // Sealed mode: the worker did not send it (its session ended or was replaced); its answer is the typed error.
    const refused = workerRefusal(error);
    if (refused) throw refused;
    // RFC 9470: a stronger or fresher login is asked for; a refresh would not give it.
    const stepUp = status === 401 && broker.isApiUrl(urlOf(config)) ? await stepUpErrorFor(status, headerOf(error, 'www-authenticate'), error) : undefined;
    if (stepUp) throw stepUp;
    // DPoP (handoff): the server asks for its nonce in the proof; once more with it, no refresh.
    const token = bearerOf(config);
    if (token !== undefined && !config.swTokenBrokerNonceRetried && broker.isApiUrl(urlOf(config)) && takeDpopNonce(broker, urlOf(config), status, { get: (name) => headerOf(error, name) })) {
      config.swTokenBrokerNonceRetried = true;
      config.headers.set(await credentialHeaders(broker, config.method ?? 'get', urlOf(config), token));
      return instance.request(config) as Promise<AxiosResponse>;
    }
    if (!broker.isApiUrl(urlOf(config)) && !config.skipTokenBroker && isDevelopment()) {
      const url = urlOf(config);
      hint(`outside:${url.origin}`, `a ${status} from ${url.origin}${url.pathname}, which is outside the worker's apiAllowlist: no token was sent and none is refreshed for it. Add its origin (and path prefix) to apiAllowlist in the worker if it is your API.`);
    }
    if (previous === 'refreshed' || config.skipTokenBroker || config.skipAuthRefresh || !broker.isApiUrl(urlOf(config))) throw error;

    let next: { token?: string; refreshed: boolean };
    try {
      // The broker client sends one refresh message per tab, shared by every concurrent 401.
      next = await nextToken(config, error);
    } catch (failure) {
      // Waiters share one refresh and so one error: each gets its own copy, caused by its own 401.
      if (isBrokerError(failure)) throw errorFromWire(toWireError(failure), error);
      throw failure;
    }
    // At most two retries, and a second only after a first that came without a refresh.
    config.swTokenBrokerRetried = previous === 'stale' || next.refreshed ? 'refreshed' : 'stale';
    if (next.token !== undefined) config.headers.set(await credentialHeaders(broker, config.method ?? 'get', urlOf(config), next.token));
    const replaced = await options.onRefreshed?.(config);
    const retry = replaced ?? config;
    retry.swTokenBrokerRetried = config.swTokenBrokerRetried;
    return instance.request(retry) as Promise<AxiosResponse>;
  };

  // A resource server may send a new DPoP nonce on any answer: the next proofs carry it.
  const onResponse = (response: AxiosResponse) => {
    const url = urlOf(response.config);
    if (broker.dpopProof && broker.isApiUrl(url)) takeDpopNonce(broker, url, response.status, { get: (name) => (typeof response.headers?.[name] === 'string' ? (response.headers[name] as string) : undefined) });
    return response;
  };
  const requestId = instance.interceptors.request.use(onRequest);
  const responseId = instance.interceptors.response.use(onResponse, onResponseError);
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

/** A response header as a string (axios lower-cases names), or undefined. */
function headerOf(error: AxiosError, name: string): string | undefined {
  const value = (error.response?.headers as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}

function retriedByWorker(error: AxiosError): boolean {
  const headers = error.response?.headers as Record<string, unknown> | undefined;
  return headers?.[RETRIED_HEADER] === '1';
}

/** Sealed mode: the typed error of a 401 the worker answered itself (it did not send the request), else undefined. */
function workerRefusal(error: AxiosError) {
  const headers = error.response?.headers as Record<string, unknown> | undefined;
  const code = headers?.[ERROR_HEADER];
  if (typeof code !== 'string') return undefined;
  const body = error.response?.data as { error?: unknown } | undefined;
  return errorFromWire(typeof body === 'object' && body !== null && body.error ? body.error : { code, message: `The service worker did not send the request (${code})` }, error);
}

/** Sealed mode: the session of the token the worker used, from the header it adds to a 401. */
function sessionOf(error: AxiosError): string | undefined {
  const headers = error.response?.headers as Record<string, unknown> | undefined;
  const value = headers?.[SESSION_HEADER];
  return typeof value === 'string' && value.length <= 300 ? value : undefined;
}

/** Sealed mode: the generation of the token the worker used, from the header it adds to a 401. */
function generationOf(error: AxiosError): number | undefined {
  const headers = error.response?.headers as Record<string, unknown> | undefined;
  const value = Number(headers?.[GENERATION_HEADER]);
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

function bearerOf(config: InternalAxiosRequestConfig): string | undefined {
  return tokenInHeader(config.headers?.get?.('Authorization') ?? config.headers?.Authorization);
}
