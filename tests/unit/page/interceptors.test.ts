import axiosLatest, { type AxiosError as AxiosErrorType, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import axios17 from 'axios-1.7';
import { beforeAll, describe, expect, it } from 'vitest';
import { GENERATION_HEADER } from '../../../protocol/index.js';
import { attachTokenBroker } from '../../../src/interceptors.js';
import { connectClient, installPageGlobals, ScriptedWorker } from '../page-helpers.js';

beforeAll(() => {
  // The interceptors resolve relative URLs against the page's location.
  installPageGlobals('https://app.test/page');
});

// The lowest supported axios (the peer range starts at 1.7) and the latest: both keep the retry marker.
describe.each([
  ['latest axios', axiosLatest],
  ['axios 1.7.8', axios17 as unknown as typeof axiosLatest],
])('with %s', (_version, axios) => {
  const { AxiosError } = axios;

  /** An API that accepts only `acceptedToken()` and records what it saw. */
  function fakeApi(acceptedToken: () => string | undefined, rejectStatus = 401) {
    const seen: Array<{ url: string; authorization: string | undefined }> = [];
    const adapter = async (config: InternalAxiosRequestConfig): Promise<AxiosResponse> => {
      const url = new URL(axios.getUri(config), 'https://app.test/page').href;
      const authorization = config.headers.get('Authorization') as string | undefined;
      seen.push({ url, authorization });
      await new Promise((resolve) => setTimeout(resolve, 1));
      const ok = authorization === `Bearer ${acceptedToken()}`;
      const response: AxiosResponse = { data: ok ? { ok: true } : { error: 'invalid_token' }, status: ok ? 200 : rejectStatus, statusText: '', headers: {}, config };
      if (!ok) throw new AxiosError(`Request failed with status code ${rejectStatus}`, AxiosError.ERR_BAD_REQUEST, config, null, response);
      return response;
    };
    return { seen, adapter };
  }

  /**
   * A real BrokerClient over a scripted worker (`broker` counts the messages that reach the
   * worker), an axios instance with the interceptors, and a fake API behind it.
   */
  async function setup(accept: (broker: ScriptedWorker) => string | undefined = (b) => `token-${b.current}`, mode: ScriptedWorker['mode'] = 'handoff') {
    const broker = new ScriptedWorker();
    broker.mode = mode;
    const client = await connectClient(broker);
    const api = fakeApi(() => accept(broker));
    const instance = axios.create({ adapter: api.adapter });
    const detach = attachTokenBroker(instance, client);
    return { broker, client, seen: api.seen, instance, detach };
  }

  describe('attachTokenBroker', () => {
    it('with DPoP: a use_dpop_nonce 401 is answered once with a proof carrying the server’s nonce, no refresh; later requests carry it from the start', async () => {
      const worker = new ScriptedWorker();
      worker.dpopBound = true;
      const client = await connectClient(worker);
      const proofs: Array<string | undefined> = [];
      const adapter = async (config: InternalAxiosRequestConfig): Promise<AxiosResponse> => {
        const proof = config.headers.get('DPoP') as string | undefined;
        proofs.push(proof);
        const ok = proof?.endsWith(' n-1)') === true;
        const headers = ok ? {} : { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'n-1' };
        const response: AxiosResponse = { data: {}, status: ok ? 200 : 401, statusText: '', headers, config };
        if (!ok) throw new AxiosError('Request failed with status code 401', AxiosError.ERR_BAD_REQUEST, config, null, response);
        return response;
      };
      const instance = axios.create({ adapter });
      attachTokenBroker(instance, client);
      await instance.get('https://api.test/a');
      await instance.get('https://api.test/b');
      expect(proofs).toEqual(['proof(GET https://api.test/a token-1)', 'proof(GET https://api.test/a token-1 n-1)', 'proof(GET https://api.test/b token-1 n-1)']);
      expect(worker.refreshCalls).toBe(0);
    });

    it('with DPoP-bound tokens (handoff + dpop): Authorization: DPoP and a proof the worker signed for this method, URL and token; after a 401, the new token with a new proof', async () => {
      const worker = new ScriptedWorker();
      worker.dpopBound = true;
      const client = await connectClient(worker);
      const seen: Array<[string | undefined, string | undefined]> = [];
      const adapter = async (config: InternalAxiosRequestConfig): Promise<AxiosResponse> => {
        const authorization = config.headers.get('Authorization') as string | undefined;
        seen.push([authorization, config.headers.get('DPoP') as string | undefined]);
        const ok = authorization === `DPoP token-${worker.current}` && seen.length > 1;
        const response: AxiosResponse = { data: {}, status: ok ? 200 : 401, statusText: '', headers: {}, config };
        if (!ok) throw new AxiosError('Request failed with status code 401', AxiosError.ERR_BAD_REQUEST, config, null, response);
        return response;
      };
      const instance = axios.create({ adapter });
      attachTokenBroker(instance, client);
      await instance.post('https://api.test/notes?x=1', {});
      expect(seen).toEqual([
        ['DPoP token-1', 'proof(POST https://api.test/notes?x=1 token-1)'],
        ['DPoP token-2', 'proof(POST https://api.test/notes?x=1 token-2)'],
      ]);
      expect(worker.refreshCalls).toBe(1);
    });

    it.each(['handoff', 'sealed'] as const)('rejects an RFC 9470 step-up 401 with StepUpRequiredError (%s): no refresh asked of the worker, no retry', async (mode) => {
      const worker = new ScriptedWorker();
      worker.mode = mode;
      const client = await connectClient(worker);
      let calls = 0;
      const adapter = async (config: InternalAxiosRequestConfig): Promise<AxiosResponse> => {
        calls++;
        const headers = { 'www-authenticate': 'Bearer error="insufficient_user_authentication", acr_values="mfa", max_age=300' };
        const response: AxiosResponse = { data: { error: 'insufficient_user_authentication' }, status: 401, statusText: '', headers, config };
        throw new AxiosError('Request failed with status code 401', AxiosError.ERR_BAD_REQUEST, config, null, response);
      };
      const instance = axios.create({ adapter });
      attachTokenBroker(instance, client);
      const error = await instance.post('https://api.test/payments', { amount: 1 }).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'StepUpRequiredError', code: 'step-up-required', details: { status: 401, acrValues: 'mfa', maxAge: 300 } });
      expect((error as { cause?: { response?: { status?: number } } }).cause?.response?.status).toBe(401);
      expect(calls).toBe(1);
      expect(worker.refreshCalls).toBe(0);
    });

    it('attaches the token to allowed origins only', async () => {
      const { instance, seen } = await setup((b) => `token-${b.current}`);
      await instance.get('https://api.test/data');
      await instance.get('https://other.test/data').catch(() => {});
      await instance.get('/same-origin').catch(() => {});
      await instance.get('https://api.test.evil.test/data').catch(() => {});
      expect(seen.map((s) => [s.url, s.authorization])).toEqual([
        ['https://api.test/data', 'Bearer token-1'],
        ['https://other.test/data', undefined],
        ['https://app.test/same-origin', undefined],
        ['https://api.test.evil.test/data', undefined],
      ]);
    });

    it('sends one refresh for 50 concurrent 401s and retries each request once', async () => {
      const { instance, broker } = await setup();
      // The server has moved on to token-2: every request with token-1 gets a 401.
      const server = { accepted: 'token-2' };
      const api = fakeApi(() => server.accepted);
      instance.defaults.adapter = api.adapter;
      const results = await Promise.all(Array.from({ length: 50 }, () => instance.get('https://api.test/data')));
      expect(results.every((r) => r.status === 200)).toBe(true);
      expect(broker.refreshCalls).toBe(1);
      expect(api.seen).toHaveLength(100);
      expect(api.seen.slice(50).every((s) => s.authorization === 'Bearer token-2')).toBe(true);
    });

    it('retries once and returns a second 401 as it is, never looping', async () => {
      const { instance, broker, seen } = await setup(() => 'a token nobody has');
      const error = (await instance.get('https://api.test/data').catch((e: unknown) => e)) as AxiosErrorType;
      expect(error.response?.status).toBe(401);
      expect(broker.refreshCalls).toBe(1);
      expect(seen).toHaveLength(2);
    });

    it('reports a newer token once more when the worker answered a stale 401 with it and the server rejects it too', async () => {
      const broker = new ScriptedWorker();
      broker.refreshAt = Date.now() + 3_600_000;
      const client = await connectClient(broker);
      // This tab holds token-1; another tab has since refreshed to token-2; the server
      // expired tokens early and accepts only a token issued from now on (token-3).
      await client.getAccessToken();
      broker.current = 2;
      const api = fakeApi(() => 'token-3');
      const instance = axios.create({ adapter: api.adapter });
      attachTokenBroker(instance, client);
      await expect(instance.get('https://api.test/data')).resolves.toMatchObject({ status: 200 });
      expect(api.seen.map((s) => s.authorization)).toEqual(['Bearer token-1', 'Bearer token-2', 'Bearer token-3']);
      expect(broker.refreshCalls).toBe(2);
      // Never more than that: a server that accepts nothing gets three tries, then the 401 is returned.
      const nothing = fakeApi(() => 'nobody');
      instance.defaults.adapter = nothing.adapter;
      broker.current = 5;
      await expect(instance.get('https://api.test/data')).rejects.toMatchObject({ response: { status: 401 } });
      expect(nothing.seen.length).toBeLessThanOrEqual(3);
    });

    it.each(['session-ended', 'refresh-unavailable', 'broker-timeout', 'not-logged-in'])(
      'settles every waiting request with the typed error when the refresh fails with %s',
      async (code) => {
        const { instance, broker } = await setup(() => 'a token nobody has');
        broker.failWith = code;
        const results = await Promise.allSettled(Array.from({ length: 20 }, () => instance.get('https://api.test/data')));
        expect(results.every((r) => r.status === 'rejected' && (r.reason as { code: string }).code === code)).toBe(true);
        const reasons = results.map((r) => (r as PromiseRejectedResult).reason as { cause?: AxiosErrorType });
        expect(reasons.every((reason) => reason.cause?.response?.status === 401)).toBe(true);
        // One error per request, each caused by its own 401.
        expect(new Set(reasons).size).toBe(20);
        expect(new Set(reasons.map((reason) => reason.cause)).size).toBe(20);
        expect(broker.refreshCalls).toBe(1);
      },
    );

    it('does not refresh for a 401 from an origin outside the allowlist', async () => {
      const { instance, broker } = await setup(() => 'x');
      await expect(instance.get('https://other.test/data')).rejects.toMatchObject({ response: { status: 401 } });
      expect(broker.refreshCalls).toBe(0);
    });

    it('honours statusCodes, shouldRefresh, per-request opt-outs and onRefreshed', async () => {
      const broker = new ScriptedWorker();
      const client = await connectClient(broker);
      const api = fakeApi(() => `token-${broker.current}`);
      const refreshedFor: string[] = [];
      const instance = axios.create({ adapter: api.adapter });
      attachTokenBroker(instance, client, {
        // shouldRefresh replaces statusCodes (as in axios-auth-refresh): this [401] is not consulted.
        statusCodes: [401],
        shouldRefresh: (error) => [401, 419].includes(error.response?.status ?? 0) && !error.config?.url?.includes('no-refresh'),
        onRefreshed: (config) => {
          refreshedFor.push(config.url ?? '');
          // A returned config is the one retried (axios-auth-refresh's onRetry does the same).
          return { ...config, headers: config.headers, params: { retried: 'yes' } };
        },
      });
      broker.current = 1;
      const stale = fakeApi(() => 'token-2');
      instance.defaults.adapter = stale.adapter;
      await expect(instance.get('https://api.test/no-refresh')).rejects.toMatchObject({ response: { status: 401 } });
      await expect(instance.get('https://api.test/skip', { skipAuthRefresh: true })).rejects.toMatchObject({ response: { status: 401 } });
      expect(broker.refreshCalls).toBe(0);
      await instance.get('https://api.test/skip-all', { skipTokenBroker: true }).catch(() => {});
      expect(stale.seen.at(-1)?.authorization).toBeUndefined();
      await expect(instance.get('https://api.test/data')).resolves.toMatchObject({ status: 200 });
      expect(refreshedFor).toEqual(['https://api.test/data']);
      expect(stale.seen.at(-1)?.url).toBe('https://api.test/data?retried=yes');
      // A 419 (a status some backends use for an expired token) is accepted by shouldRefresh: it refreshes too.
      const expired = fakeApi(() => 'token-3', 419);
      instance.defaults.adapter = expired.adapter;
      await expect(instance.get('https://api.test/419')).resolves.toMatchObject({ status: 200 });
      expect(expired.seen.map((s) => s.authorization)).toEqual(['Bearer token-2', 'Bearer token-3']);
      expect(broker.refreshCalls).toBe(2);
      // Refused by shouldRefresh: a 418 is returned as it is.
      const teapot = fakeApi(() => 'nobody', 418);
      instance.defaults.adapter = teapot.adapter;
      await expect(instance.get('https://api.test/418')).rejects.toMatchObject({ response: { status: 418 } });
      expect(broker.refreshCalls).toBe(2);
    });

    it('shares one refresh message per tab between every axios instance attached to the same client', async () => {
      const broker = new ScriptedWorker();
      const client = await connectClient(broker);
      const server = { accepted: 'token-2' };
      const instances = Array.from({ length: 3 }, () => {
        const instance = axios.create({ adapter: fakeApi(() => server.accepted).adapter });
        attachTokenBroker(instance, client);
        return instance;
      });
      const results = await Promise.all(instances.flatMap((instance) => Array.from({ length: 10 }, () => instance.get('https://api.test/data'))));
      expect(results.every((r) => r.status === 200)).toBe(true);
      expect(broker.refreshCalls).toBe(1);
    });

    it('sealed mode: attaches nothing, reports the failed generation from the worker\'s header, and retries once', async () => {
      const broker = new ScriptedWorker();
      broker.mode = 'sealed';
      const client = await connectClient(broker);
      const accepted = { generation: 2 };
      const seen: Array<string | undefined> = [];
      // Stands in for the worker's fetch handler: it signs with its current token and marks a 401 with its generation.
      const adapter = async (config: InternalAxiosRequestConfig): Promise<AxiosResponse> => {
        seen.push(config.headers.get('Authorization') as string | undefined);
        const generation = broker.current;
        if (generation === accepted.generation) return { data: { ok: true }, status: 200, statusText: '', headers: {}, config };
        const response: AxiosResponse = { data: {}, status: 401, statusText: '', headers: { [GENERATION_HEADER]: String(generation) }, config };
        throw new AxiosError('Request failed with status code 401', AxiosError.ERR_BAD_REQUEST, config, null, response);
      };
      const instance = axios.create({ adapter });
      attachTokenBroker(instance, client);
      const results = await Promise.all(Array.from({ length: 10 }, () => instance.get('https://api.test/data')));
      expect(results.every((r) => r.status === 200)).toBe(true);
      expect(seen.every((authorization) => authorization === undefined)).toBe(true);
      expect(broker.refreshCalls).toBe(1);
      expect(broker.getCalls).toBe(0);
      const reports = broker.received.filter((m) => m.type === 'refresh');
      expect(reports).toEqual([expect.objectContaining({ type: 'refresh', failedGeneration: 1, failedToken: undefined })]);
      // A retry that fails again is returned as it is.
      accepted.generation = 99;
      await expect(instance.get('https://api.test/data')).rejects.toMatchObject({ response: { status: 401 } });
      expect(broker.refreshCalls).toBe(2);
    });

    it('detaches both interceptors', async () => {
      const { instance, broker, seen, detach } = await setup(() => 'x');
      detach();
      await expect(instance.get('https://api.test/data')).rejects.toMatchObject({ response: { status: 401 } });
      expect(seen[0].authorization).toBeUndefined();
      expect(broker.getCalls + broker.refreshCalls).toBe(0);
    });

    it('attaches once per instance: a second attach of the same broker adds nothing, another broker is refused until detached', async () => {
      const { instance, client, broker, seen, detach } = await setup();
      // React StrictMode's mount, cleanup, mount: attach, detach, attach; and remounts attach again.
      expect(attachTokenBroker(instance, client)).toBe(detach);
      expect(attachTokenBroker(instance, client, { statusCodes: [401, 403] })).toBe(detach);
      const handlers = (instance.interceptors.request as unknown as { handlers: unknown[] }).handlers.filter(Boolean);
      expect(handlers).toHaveLength(1);
      const other = await connectClient(new ScriptedWorker());
      expect(() => attachTokenBroker(instance, other)).toThrow(/attached to another broker/);
      detach();
      detach();
      const again = attachTokenBroker(instance, client);
      expect(again).not.toBe(detach);
      // The first detach no longer touches the new attachment.
      detach();
      await instance.get('https://api.test/data');
      expect(seen.at(-1)?.authorization).toBe('Bearer token-1');
      expect((instance.interceptors.request as unknown as { handlers: unknown[] }).handlers.filter(Boolean)).toHaveLength(1);
      expect(broker.getCalls).toBe(1);
    });

    it('refuses what is not an axios instance or a broker with a TypeError', () => {
      expect(() => attachTokenBroker({} as never, {} as never)).toThrow(new TypeError('attachTokenBroker needs an axios instance'));
      expect(() => attachTokenBroker(axios.create(), {} as never)).toThrow(new TypeError('attachTokenBroker needs a BrokerClient'));
    });
  });
});

describe('the idempotency key set by the page (rule 13)', () => {
  it('a write to the API gets the key the worker queue names, once: the retry after a 401 carries the same key; reads and other origins get none', async () => {
    const worker = new ScriptedWorker();
    worker.queuePending = 0;
    worker.idempotencyKey = 'Idempotency-Key';
    const client = await connectClient(worker);
    const seen: Array<[string, string | undefined]> = [];
    const instance = axiosLatest.create({
      adapter: async (config) => {
        seen.push([`${config.method} ${config.url}`, config.headers.get('Idempotency-Key') as string | undefined]);
        const accepted = config.headers.get('Authorization') === `Bearer token-${worker.current}` && worker.current > 1;
        const response: AxiosResponse = { data: {}, status: accepted ? 201 : 401, statusText: '', headers: {}, config };
        if (!accepted) throw new axiosLatest.AxiosError('401', axiosLatest.AxiosError.ERR_BAD_REQUEST, config, null, response);
        return response;
      },
    });
    attachTokenBroker(instance, client);
    await instance.post('https://api.test/notes', {});
    await instance.get('https://api.test/data').catch(() => undefined);
    await instance.post('https://other.test/notes', {}).catch(() => undefined);
    await instance.post('https://api.test/notes', {}, { headers: { 'Idempotency-Key': 'mine' } });
    const [first, retry, read, other, mine] = seen;
    expect(first[1]).toMatch(/^[0-9a-f-]{36}$/);
    expect(retry).toEqual(first);
    expect([read[1], other[1], mine[1]]).toEqual([undefined, undefined, 'mine']);
  });

  it('no key without a queue that keys writes', async () => {
    const client = await connectClient(new ScriptedWorker());
    let key: unknown = 'unset';
    const instance = axiosLatest.create({ adapter: async (config) => ((key = config.headers.get('Idempotency-Key')), { data: {}, status: 201, statusText: '', headers: {}, config }) });
    attachTokenBroker(instance, client);
    await instance.post('https://api.test/notes', {});
    expect(key).toBeUndefined();
  });
});
