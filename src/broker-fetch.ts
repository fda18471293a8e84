/**
 * A `fetch` backed by the broker, for any HTTP client built on fetch (ky, ofetch, your
 * own) in handoff mode: the token on allowlisted URLs only, one shared refresh on a 401,
 * one retry. In sealed mode the worker does all of this itself, so the wrapper passes
 * requests through untouched.
 */
import type { BrokerClient } from './client.js';
import { preloaded } from './preload.js';

/** The part of BrokerClient the fetch wrapper uses. */
export type FetchBroker = Pick<BrokerClient, 'getAccessToken' | 'reportUnauthorized' | 'isApiUrl' | 'mode'> & Partial<Pick<BrokerClient, 'queuesOffline' | 'idempotencyKeyHeader' | 'dpopProof'>>;

export interface BrokerFetchOptions {
  /** The fetch to wrap (default: the page's `fetch`). */
  fetch?: typeof fetch;
  /** Statuses that mean "token rejected" (default `[401]`). */
  statusCodes?: number[];
}

/**
 * Creates a `fetch` that attaches the broker's access token to requests for the worker's
 * API allowlist (judged on the URL the request really uses) and, on a 401, asks the broker
 * for a newer token once and retries once. The request body is kept for the retry
 * (`Request.clone()`), so bodies a Request can carry replay as they were.
 *
 * @throws {TypeError} when `broker` is not a BrokerClient.
 * @example
 * const brokerFetch = createBrokerFetch(broker);
 * const api = ky.create({ prefixUrl: 'https://api.example.com', fetch: brokerFetch });
 */
export function createBrokerFetch(broker: FetchBroker, options: BrokerFetchOptions = {}): typeof fetch {
  if (!broker || typeof broker.reportUnauthorized !== 'function') throw new TypeError('createBrokerFetch needs a BrokerClient');
  // The work itself is a chunk of its own (`broker-fetch-steps.ts`), so the page entry stays small;
  // loaded now, not at the first request, which may be made offline.
  const steps = preloaded(() => import('./broker-fetch-steps.js').then((module) => module.brokerFetch(broker, options)));
  return async (input, init) => (await steps())(input, init);
}
