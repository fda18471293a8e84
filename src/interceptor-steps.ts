/**
 * What the axios interceptors do (`interceptors.ts` installs them and loads this on the first
 * request, so the page entry stays small): attach the token to API requests; on a 401 ask the
 * broker for a newer token and retry once.
 */
import type { AxiosError, AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { ERROR_HEADER, GENERATION_HEADER, RETRIED_HEADER, SESSION_HEADER, errorFromWire, isBrokerError, toWireError } from '../protocol/index.js';
import { credentialHeaders, stepUpErrorFor, takeDpopNonce, tokenAfterUnauthorized, tokenInHeader, tokenToSend } from './handoff-token.js';
import { hint, isDevelopment } from './hints.js';
import { idempotencyKeyFor } from './idempotency-key.js';
import type { AttachOptions, InterceptorBroker, InterceptorSteps } from './interceptor-types.js';
import { resolveRequestUrl } from './request-url.js';

/** The interceptors' work for `instance` and `broker`. */
export function interceptorSteps(instance: AxiosInstance, broker: InterceptorBroker, options: AttachOptions): InterceptorSteps {
  const statusCodes = options.statusCodes ?? [401];

  // The URL the request will really use: axios's own URL building, resolved as XHR resolves it.
  // Built once per step and passed on: getUri merges the whole config, on every request.
  const urlOf = (config: InternalAxiosRequestConfig) => resolveRequestUrl(instance.getUri(config));

  const onRequest = async (config: InternalAxiosRequestConfig) => {
    if (config.skipTokenBroker) return config;
    const url = urlOf(config);
    if (!broker.isApiUrl(url)) return config;
    // Set once: a retry after a 401 goes out with the same config, and so the same key.
    const keyed = idempotencyKeyFor(broker, config.method, (header) => config.headers.has(header));
    if (keyed) config.headers.set(keyed.header, keyed.key);
    if (broker.mode === 'sealed') return config;
    const token = await tokenToSend(broker, url);
    if (token !== undefined) config.headers.set(await credentialHeaders(broker, config.method ?? 'get', url, token));
    return config;
  };

  /** The token to retry with (handoff; none in sealed mode, where the worker signs), and whether the worker refreshed for it. */
  const nextToken = async (config: InternalAxiosRequestConfig, url: URL, error: AxiosError): Promise<{ token?: string; refreshed: boolean }> => {
    if (broker.mode === 'sealed') {
      const { refreshed } = await broker.reportUnauthorized({ failedGeneration: generationOf(error), session: sessionOf(error), url: url.href });
      return { refreshed };
    }
    return tokenAfterUnauthorized(broker, bearerOf(config), url);
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
    const url = urlOf(config);
    const isApi = broker.isApiUrl(url);
    // RFC 9470: a stronger or fresher login is asked for; a refresh would not give it.
    const stepUp = status === 401 && isApi ? await stepUpErrorFor(status, headerOf(error, 'www-authenticate'), error) : undefined;
    if (stepUp) throw stepUp;
    // DPoP (handoff): the server asks for its nonce in the proof; once more with it, no refresh.
    const token = bearerOf(config);
    if (token !== undefined && !config.swTokenBrokerNonceRetried && isApi && takeDpopNonce(broker, url, status, { get: (name) => headerOf(error, name) })) {
      config.swTokenBrokerNonceRetried = true;
      config.headers.set(await credentialHeaders(broker, config.method ?? 'get', url, token));
      return instance.request(config) as Promise<AxiosResponse>;
    }
    if (!isApi && !config.skipTokenBroker && isDevelopment()) {
      hint(`outside:${url.origin}`, `a ${status} from ${url.origin}${url.pathname}, which is outside the worker's apiAllowlist: no token was sent and none is refreshed for it. Add its origin (and path prefix) to apiAllowlist in the worker if it is your API.`);
    }
    if (previous === 'refreshed' || config.skipTokenBroker || config.skipAuthRefresh || !isApi) throw error;

    let next: { token?: string; refreshed: boolean };
    try {
      // The broker client sends one refresh message per tab, shared by every concurrent 401.
      next = await nextToken(config, url, error);
    } catch (failure) {
      // Waiters share one refresh and so one error: each gets its own copy, caused by its own 401.
      if (isBrokerError(failure)) throw errorFromWire(toWireError(failure), error);
      throw failure;
    }
    // At most two retries, and a second only after a first that came without a refresh.
    config.swTokenBrokerRetried = previous === 'stale' || next.refreshed ? 'refreshed' : 'stale';
    if (next.token !== undefined) config.headers.set(await credentialHeaders(broker, config.method ?? 'get', url, next.token));
    const replaced = await options.onRefreshed?.(config);
    const retry = replaced ?? config;
    retry.swTokenBrokerRetried = config.swTokenBrokerRetried;
    return instance.request(retry) as Promise<AxiosResponse>;
  };

  // A resource server may send a new DPoP nonce on any answer: the next proofs carry it.
  const onResponse = (response: AxiosResponse) => {
    // Only an answer that carries a nonce has one to take (most carry none): no URL to build then.
    if (!broker.dpopProof || typeof response.headers?.['dpop-nonce'] !== 'string') return response;
    const url = urlOf(response.config);
    if (broker.isApiUrl(url)) takeDpopNonce(broker, url, response.status, { get: (name) => (typeof response.headers?.[name] === 'string' ? (response.headers[name] as string) : undefined) });
    return response;
  };
  return { onRequest, onResponse, onResponseError };
}

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
