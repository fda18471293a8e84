/**
 * A `fetch` backed by the broker, for any HTTP client built on fetch (ky, ofetch, your
 * own) in handoff mode: the token on allowlisted URLs only, one shared refresh on a 401,
 * one retry. In sealed mode the worker does all of this itself, so the wrapper passes
 * requests through untouched.
 */
import type { BrokerClient } from './client.js';
import { credentialHeaders, stepUpErrorFor, takeDpopNonce, tokenAfterUnauthorized, tokenToSend } from './handoff-token.js';
import { idempotencyKeyFor } from './idempotency-key.js';

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
  const send = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const statusCodes = options.statusCodes ?? [401];

  const signed = async (request: Request, token: string | undefined) => {
    if (token === undefined) return request;
    const headers = new Headers(request.headers);
    for (const [name, value] of Object.entries(await credentialHeaders(broker, request.method, request.url, token))) headers.set(name, value);
    return new Request(request, { headers });
  };

  return async (input, init) => {
    // The Request constructor resolves a relative URL as the browser will: against document.baseURI.
    let request = new Request(input, init);
    const keyed = broker.isApiUrl(request.url) ? idempotencyKeyFor(broker, request.method, (header) => request.headers.has(header)) : undefined;
    if (keyed) {
      const headers = new Headers(request.headers);
      headers.set(keyed.header, keyed.key);
      request = new Request(request, { headers });
    }
    if (!broker.isApiUrl(request.url)) return send(request);
    // RFC 9470: a stronger or fresher login is asked for; a refresh would not give it.
    const checked = async (response: Response) => {
      const stepUp = response.status === 401 ? await stepUpErrorFor(response.status, response.headers.get('www-authenticate')) : undefined;
      if (stepUp) throw stepUp;
      return response;
    };
    if (broker.mode === 'sealed' || request.headers.has('authorization')) return checked(await send(request));
    let spare = request.clone();
    const token = await tokenToSend(broker, request.url);
    let response = await checked(await send(await signed(request, token)));
    // DPoP: the server asks for its nonce in the proof; once more with it, no refresh.
    if (token !== undefined && takeDpopNonce(broker, request.url, response.status, response.headers)) {
      const again = spare.clone();
      response = await checked(await send(await signed(spare, token)));
      spare = again;
    }
    if (!statusCodes.includes(response.status)) return response;
    const next = await tokenAfterUnauthorized(broker, token, request.url);
    return send(await signed(spare, next.token));
  };
}
