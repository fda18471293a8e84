/** The axios interceptors' types, shared by what installs them and what they do. */
import type { AxiosError, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import type { BrokerClient } from './client.js';

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

/** What the interceptors do, loaded with the first request (`interceptor-steps.ts`). */
export interface InterceptorSteps {
  onRequest(config: InternalAxiosRequestConfig): Promise<InternalAxiosRequestConfig>;
  onResponse(response: AxiosResponse): AxiosResponse;
  onResponseError(error: AxiosError): Promise<AxiosResponse>;
}
