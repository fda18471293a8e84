import { describe, expect, it } from 'vitest';
import { GENERATION_HEADER, RETRIED_HEADER, parseAllowlist } from '../../../protocol/index.js';
import { shouldSign, signedFetch } from '../../../sw/sealed-signing.js';
import { makeBroker } from '../helpers.js';

const allowlist = parseAllowlist(['https://api.test/v1/']);
const request = (url: string, mode: RequestMode = 'cors', headers: Record<string, string> = {}) => ({ url, mode, headers: new Headers(headers) });

describe('which requests sealed mode signs', () => {
  it.each([
    ['an API request from fetch or XHR', request('https://api.test/v1/users'), true],
    ['a same-origin API request', request('https://api.test/v1/users', 'same-origin'), true],
    ['a navigation', request('https://api.test/v1/users', 'navigate'), false],
    ['a no-cors request', request('https://api.test/v1/users', 'no-cors'), false],
    ['a request that brings its own Authorization', request('https://api.test/v1/users', 'cors', { Authorization: 'Basic x' }), false],
    ['another path', request('https://api.test/v2/users'), false],
    ['another port', request('https://api.test:444/v1/users'), false],
    ['a lookalike host', request('https://api.test.evil.test/v1/users'), false],
  ])('%s → %s', (_label, req, expected) => {
    expect(shouldSign(req as unknown as Request, allowlist)).toBe(expected);
  });
});

describe('signedFetch', () => {
  it('does not refresh or retry on an RFC 9470 step-up 401: the page gets the challenge as the API sent it', async () => {
    const { broker, endpoint } = makeBroker({ mode: 'sealed' });
    await broker.login({ username: 'demo', password: 'demo' });
    let calls = 0;
    const fetchFn: typeof fetch = async () => {
      calls++;
      return new Response('', { status: 401, headers: { 'www-authenticate': 'Bearer error="insufficient_user_authentication", acr_values="mfa"' } });
    };
    const response = await signedFetch(new Request('https://api.test/v1/payments', { method: 'POST', body: '{}' }), broker, fetchFn);
    expect(calls).toBe(1);
    expect(endpoint.refreshCalls).toEqual([]);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/insufficient_user_authentication/);
  });

  it('adds the bearer token the page never sees; on a 401 refreshes, retries once, and marks the answer with the generation used', async () => {
    const { broker, endpoint } = makeBroker({ mode: 'sealed' });
    await broker.login({ username: 'demo', password: 'demo' });
    const seen: Request[] = [];
    const fetchFn: typeof fetch = async (input) => {
      seen.push(input as Request);
      return new Response('{"error":"invalid_token"}', { status: 401, headers: { 'content-type': 'application/json' } });
    };
    const response = await signedFetch(new Request('https://api.test/v1/users', { method: 'POST', body: '{"name":"x"}' }), broker, fetchFn);
    expect(seen.map((r) => r.headers.get('authorization'))).toEqual(['Bearer access-1', 'Bearer access-2']);
    // The body was kept for the retry.
    expect(await seen[1].text()).toBe('{"name":"x"}');
    expect(endpoint.refreshCalls).toEqual(['refresh-1']);
    expect(response.status).toBe(401);
    expect(response.headers.get(GENERATION_HEADER)).toBe('2');
    expect(response.headers.get(RETRIED_HEADER)).toBe('1');
    expect(await response.text()).toBe('{"error":"invalid_token"}');
  });

  it('retries a 401 with the refreshed token, so fetch, ky or ofetch need no page code', async () => {
    const { broker } = makeBroker({ mode: 'sealed' });
    await broker.login({ username: 'demo', password: 'demo' });
    const fetchFn: typeof fetch = async (input) =>
      (input as Request).headers.get('authorization') === 'Bearer access-2' ? new Response('ok') : new Response('', { status: 401 });
    const answers = await Promise.all(Array.from({ length: 10 }, () => signedFetch(new Request('https://api.test/v1/users'), broker, fetchFn)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(answers.every((a) => a.headers.get(RETRIED_HEADER) === '1')).toBe(true);
  });

  it('returns the 401 marked with its generation, unretried, when the refresh fails (the page then gets the typed error)', async () => {
    const { broker, endpoint } = makeBroker({ mode: 'sealed' });
    await broker.login({ username: 'demo', password: 'demo' });
    endpoint.next = 'reject';
    const response = await signedFetch(new Request('https://api.test/v1/users'), broker, async () => new Response('', { status: 401 }));
    expect(response.headers.get(GENERATION_HEADER)).toBe('1');
    expect(response.headers.get(RETRIED_HEADER)).toBeNull();
  });

  it('passes a successful response through as it is', async () => {
    const { broker } = makeBroker({ mode: 'sealed' });
    await broker.login({ username: 'demo', password: 'demo' });
    const original = new Response('ok', { status: 200 });
    expect(await signedFetch(new Request('https://api.test/v1/users'), broker, async () => original)).toBe(original);
  });

  it('sends the request unsigned when there is no session, so the server decides', async () => {
    const { broker } = makeBroker({ mode: 'sealed' });
    const seen: Request[] = [];
    await signedFetch(new Request('https://api.test/v1/users'), broker, async (input) => (seen.push(input as Request), new Response('', { status: 401 })));
    expect(seen[0].headers.has('authorization')).toBe(false);
  });

  it('refreshes ahead of expiry for a signed request, once for many', async () => {
    const { broker, endpoint, clock } = makeBroker({ mode: 'sealed' });
    await broker.login({ username: 'demo', password: 'demo' });
    clock.now += 61_000;
    const seen: string[] = [];
    await Promise.all(
      Array.from({ length: 10 }, () =>
        signedFetch(new Request('https://api.test/v1/users'), broker, async (input) => (seen.push((input as Request).headers.get('authorization')!), new Response('ok'))),
      ),
    );
    expect(endpoint.refreshCalls).toHaveLength(1);
    expect(new Set(seen)).toEqual(new Set(['Bearer access-2']));
  });

  it('never lets the token follow a redirect: it fetches with redirect manual and fails a redirect answer', async () => {
    const { broker } = makeBroker({ mode: 'sealed' });
    await broker.login({ username: 'demo', password: 'demo' });
    const seen: Request[] = [];
    const opaqueRedirect = () => Object.defineProperty(new Response(null, { status: 200 }), 'type', { value: 'opaqueredirect' });
    const fetchFn: typeof fetch = async (input) => (seen.push(input as Request), opaqueRedirect());
    const warn = console.warn;
    console.warn = () => {};
    try {
      const followed = await signedFetch(new Request('https://api.test/v1/files/1'), broker, fetchFn);
      expect(seen[0].redirect).toBe('manual');
      expect(seen[0].headers.get('authorization')).toBe('Bearer access-1');
      expect(followed.type).toBe('error');
      // A page that asked for manual redirects gets the opaque redirect itself.
      const manual = await signedFetch(new Request('https://api.test/v1/files/1', { redirect: 'manual' }), broker, fetchFn);
      expect(manual.type).toBe('opaqueredirect');
    } finally {
      console.warn = warn;
    }
  });
});
