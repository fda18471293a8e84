/** What the broker's fetch does (`broker-fetch.ts` loads it with the first request, so the page entry stays small). */
import type { BrokerFetchOptions, FetchBroker } from './broker-fetch.js';
import { credentialHeaders, stepUpErrorFor, takeDpopNonce, tokenAfterUnauthorized, tokenToSend } from './handoff-token.js';
import { idempotencyKeyFor } from './idempotency-key.js';

/** The broker's `fetch` for `broker`: see `createBrokerFetch`. */
export function brokerFetch(broker: FetchBroker, options: BrokerFetchOptions): typeof fetch {
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
