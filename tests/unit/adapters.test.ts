import { describe, expect, it } from 'vitest';
import { jsonEndpoint } from '../../sw/adapters/json.js';
import { oauth2Endpoint } from '../../sw/adapters/oauth2.js';
import type { EndpointContext } from '../../sw/adapters/types.js';

interface Seen {
  url: string;
  method: string;
  headers: Headers;
  body: string;
  redirect?: RequestRedirect;
}

/** A fetch that records each request and answers from a script. */
function scriptedFetch(answer: (seen: Seen) => Response | Promise<Response> | 'network-error' | 'hang') {
  const seen: Seen[] = [];
  const fetchFn: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const entry: Seen = { url: request.url, method: request.method, headers: request.headers, body: await request.text(), redirect: init?.redirect };
    seen.push(entry);
    const result = await answer(entry);
    if (result === 'network-error') throw new TypeError('Failed to fetch');
    if (result === 'hang') {
      return new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    }
    return result;
  };
  return { seen, context: (timeoutMs = 1000): EndpointContext => ({ fetch: fetchFn, timeoutMs }) };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('jsonEndpoint', () => {
  const endpoint = jsonEndpoint({
    loginUrl: 'https://id.test/auth/login',
    refreshUrl: 'https://id.test/auth/refresh',
    logoutUrl: 'https://id.test/auth/logout',
    refreshBody: (token) => ({ token }),
  });

  it('posts the credentials as JSON and reads camelCase or snake_case tokens', async () => {
    const { seen, context } = scriptedFetch(() => json(200, { access_token: 'a1', refresh_token: 'r1', expires_in: 30 }));
    expect(await endpoint.login!({ username: 'demo', password: 'demo' }, context())).toEqual({ accessToken: 'a1', refreshToken: 'r1', expiresInSeconds: 30 });
    expect(seen[0]).toMatchObject({ url: 'https://id.test/auth/login', method: 'POST', body: '{"username":"demo","password":"demo"}', redirect: 'error' });
    expect(seen[0].headers.get('content-type')).toBe('application/json');
  });

  it('maps field names with the mapping functions', async () => {
    const { seen, context } = scriptedFetch(() => json(200, { accessToken: 'a2', refreshToken: 'r2', expiresIn: 30 }));
    await endpoint.refresh('r1', context());
    expect(seen[0]).toMatchObject({ url: 'https://id.test/auth/refresh', body: '{"token":"r1"}' });
  });

  it('rejects a refused refresh (400 invalid_grant) with session-ended', async () => {
    const { context } = scriptedFetch(() => json(400, { error: 'invalid_grant' }));
    await expect(endpoint.refresh('r1', context())).rejects.toMatchObject({
      code: 'session-ended',
      message: 'The server rejected the refresh token (400: invalid_grant)',
    });
  });

  it('rejects refused credentials (401) with login-failed', async () => {
    const { context } = scriptedFetch(() => json(401, { error: 'invalid_credentials' }));
    await expect(endpoint.login!({ username: 'x', password: 'y' }, context())).rejects.toMatchObject({ code: 'login-failed' });
  });

  it.each([
    ['a 503', () => json(503, { error: 'down' }), 'The token endpoint answered 503'],
    ['a 429', () => json(429, {}), 'The token endpoint answered 429'],
    ['a body that is not JSON', () => new Response('<html>oops', { status: 200 }), 'The token endpoint answered 200 with a body that is not JSON'],
    ['JSON without an access token', () => json(200, { hello: 'world' }), 'The token endpoint response has no usable tokens'],
    ['a negative lifetime', () => json(200, { accessToken: 'a', expiresIn: -5 }), 'The token endpoint response has no usable tokens'],
    ['a network error', () => 'network-error' as const, 'The token endpoint could not be reached'],
    ['no answer within the timeout', () => 'hang' as const, 'The token endpoint did not answer within 50 ms'],
  ])('keeps the session on %s: refresh-unavailable', async (_label, answer, message) => {
    const { context } = scriptedFetch(answer);
    await expect(endpoint.refresh('r1', context(50))).rejects.toMatchObject({ code: 'refresh-unavailable', retryable: true, message });
  });

  it('revokes at the logout URL', async () => {
    const { seen, context } = scriptedFetch(() => json(200, { ok: true }));
    await endpoint.revoke!('r1', context());
    expect(seen[0]).toMatchObject({ url: 'https://id.test/auth/logout', body: '{"refreshToken":"r1"}' });
  });

  it('refuses a config without URLs with a TypeError', () => {
    expect(() => jsonEndpoint({ loginUrl: '', refreshUrl: 'https://id.test/r' })).toThrow(new TypeError('loginUrl must be a URL'));
  });
});

describe('oauth2Endpoint', () => {
  const endpoint = oauth2Endpoint({
    tokenEndpoint: 'https://id.test/oauth/token',
    revocationEndpoint: 'https://id.test/oauth/revoke',
    clientId: 'spa',
  });
  const tokenResponse = { access_token: 'a2', refresh_token: 'r2', token_type: 'Bearer', expires_in: 30 };

  it('sends a form-encoded refresh_token grant with the client id (RFC 6749 §6)', async () => {
    const { seen, context } = scriptedFetch(() => json(200, tokenResponse));
    expect(await endpoint.refresh('r1', context())).toEqual({ accessToken: 'a2', refreshToken: 'r2', expiresInSeconds: 30 });
    expect(seen[0].url).toBe('https://id.test/oauth/token');
    expect(seen[0].headers.get('content-type')).toMatch(/^application\/x-www-form-urlencoded/);
    const form = new URLSearchParams(seen[0].body);
    expect(Object.fromEntries(form)).toEqual({ grant_type: 'refresh_token', refresh_token: 'r1', client_id: 'spa' });
  });

  it('ends the session on invalid_grant', async () => {
    const { context } = scriptedFetch(() => json(400, { error: 'invalid_grant', error_description: 'reused' }));
    await expect(endpoint.refresh('r1', context())).rejects.toMatchObject({
      code: 'session-ended',
      message: 'The token endpoint refused the grant (400: invalid_grant)',
    });
  });

  it('keeps the session on a 503 and on garbage', async () => {
    await expect(endpoint.refresh('r1', scriptedFetch(() => json(503, { error: 'temporarily_unavailable' })).context())).rejects.toMatchObject({
      code: 'refresh-unavailable',
    });
    await expect(endpoint.refresh('r1', scriptedFetch(() => new Response('<html>', { status: 200 })).context())).rejects.toMatchObject({
      code: 'refresh-unavailable',
    });
    await expect(endpoint.refresh('r1', scriptedFetch(() => 'network-error').context())).rejects.toMatchObject({ code: 'refresh-unavailable' });
  });

  it('logs in with the password grant and fails with login-failed on invalid_grant', async () => {
    const ok = scriptedFetch(() => json(200, tokenResponse));
    await endpoint.login!({ username: 'demo', password: 'demo' }, ok.context());
    expect(Object.fromEntries(new URLSearchParams(ok.seen[0].body))).toMatchObject({ grant_type: 'password', username: 'demo', password: 'demo' });
    const refused = scriptedFetch(() => json(400, { error: 'invalid_grant' }));
    await expect(endpoint.login!({ username: 'demo', password: 'x' }, refused.context())).rejects.toMatchObject({ code: 'login-failed' });
  });

  it('revokes the refresh token with a hint (RFC 7009)', async () => {
    const { seen, context } = scriptedFetch(() => new Response(null, { status: 200 }));
    await endpoint.revoke!('r1', context());
    expect(seen[0].url).toBe('https://id.test/oauth/revoke');
    expect(Object.fromEntries(new URLSearchParams(seen[0].body))).toEqual({ token: 'r1', token_type_hint: 'refresh_token', client_id: 'spa' });
  });

  it('refuses http endpoints unless allowed, and a missing client id', async () => {
    expect(() => oauth2Endpoint({ tokenEndpoint: 'http://127.0.0.1:1/oauth/token', clientId: 'spa' })).toThrow(
      new TypeError('http://127.0.0.1:1/oauth/token is not https; set allowInsecureRequests for loopback development only'),
    );
    const allowed = oauth2Endpoint({ tokenEndpoint: 'http://127.0.0.1:1/oauth/token', clientId: 'spa', allowInsecureRequests: true });
    await expect(allowed.refresh('r1', scriptedFetch(() => json(200, tokenResponse)).context())).resolves.toMatchObject({ accessToken: 'a2' });
    expect(() => oauth2Endpoint({ tokenEndpoint: 'https://id.test/t', clientId: '' })).toThrow(new TypeError('clientId must be a non-empty string'));
  });
});
