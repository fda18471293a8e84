import { describe, expect, it } from 'vitest';
import { jsonEndpoint } from '../../../sw/adapters/json.js';
import { oauth2Endpoint } from '../../../sw/adapters/oauth2.js';
import type { EndpointContext, TokenEndpoint } from '../../../sw/adapters/types.js';
import { resolveConfig } from '../../../sw/config.js';

/** Checks a config built around `endpoint`, as installTokenBroker does. */
const configWith = (endpoint: TokenEndpoint) => resolveConfig({ endpoint, apiAllowlist: ['https://api.test'] });

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
    expect(seen[0]).toMatchObject({ url: 'https://id.test/auth/login', method: 'POST', body: '{"username":"demo","password":"demo"}', redirect: 'manual' });
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
      message: 'The server rejected the refresh token (400 invalid_grant)',
      details: { status: 400, error: 'invalid_grant', url: 'https://id.test/auth/refresh' },
    });
  });

  it('rejects refused credentials (401) with login-failed', async () => {
    const { context } = scriptedFetch(() => json(401, { error: 'invalid_credentials' }));
    await expect(endpoint.login!({ username: 'x', password: 'y' }, context())).rejects.toMatchObject({ code: 'login-failed' });
  });

  it.each([
    ['a 503', () => json(503, { error: 'down' }), 'The token endpoint answered 503 down'],
    ['a 429', () => json(429, {}), 'The token endpoint answered 429'],
    ['a 404', () => json(404, {}), "The token endpoint https://id.test/auth/refresh answered 404: check the URL in the worker's config"],
    ['a body that is not JSON', () => new Response('<html>oops', { status: 200 }), 'The token endpoint answered 200 with a body that is not JSON'],
    ['JSON without an access token', () => json(200, { hello: 'world' }), 'The token endpoint response has no usable tokens: the access token is missing or empty'],
    ['a negative lifetime', () => json(200, { accessToken: 'a', expiresIn: -5 }), 'The token endpoint response has no usable tokens: expires_in is not a positive number of seconds'],
    [
      'a network error',
      () => 'network-error' as const,
      'The token endpoint at https://id.test/auth/refresh could not be reached: it is down, this device is offline, or it is on another origin and does not allow this one (CORS)',
    ],
    ['no answer within the timeout', () => 'hang' as const, 'The token endpoint at https://id.test/auth/refresh did not answer within 50 ms'],
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
    expect(() => configWith(jsonEndpoint({ loginUrl: '', refreshUrl: 'https://id.test/r' }))).toThrow(new TypeError('loginUrl must be a URL'));
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
    expect(await endpoint.refresh('r1', context())).toEqual({ accessToken: 'a2', refreshToken: 'r2', expiresInSeconds: 30, tokenType: 'Bearer' });
    expect(seen[0].url).toBe('https://id.test/oauth/token');
    expect(seen[0].headers.get('content-type')).toMatch(/^application\/x-www-form-urlencoded/);
    const form = new URLSearchParams(seen[0].body);
    expect(Object.fromEntries(form)).toEqual({ grant_type: 'refresh_token', refresh_token: 'r1', client_id: 'spa' });
  });

  it('ends the session on invalid_grant', async () => {
    const { context } = scriptedFetch(() => json(400, { error: 'invalid_grant', error_description: 'reused' }));
    await expect(endpoint.refresh('r1', context())).rejects.toMatchObject({
      code: 'session-ended',
      message: 'The server rejected the refresh token (400 invalid_grant): reused',
      details: { status: 400, error: 'invalid_grant', errorDescription: 'reused', url: 'https://id.test/oauth/token' },
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
    // The factory does not throw (that would fail the worker script); the config check does.
    expect(() => configWith(oauth2Endpoint({ tokenEndpoint: 'http://127.0.0.1:1/oauth/token', clientId: 'spa' }))).toThrow(
      new TypeError('http://127.0.0.1:1/oauth/token is not https; set allowInsecureRequests for loopback development only'),
    );
    const allowed = oauth2Endpoint({ tokenEndpoint: 'http://127.0.0.1:1/oauth/token', clientId: 'spa', allowInsecureRequests: true });
    await expect(allowed.refresh('r1', scriptedFetch(() => json(200, tokenResponse)).context())).resolves.toMatchObject({ accessToken: 'a2' });
    expect(() => configWith(oauth2Endpoint({ tokenEndpoint: 'https://id.test/t', clientId: '' }))).toThrow(new TypeError('clientId must be a non-empty string'));
  });
});

describe('every adapter classifies token-endpoint answers by status, whatever the body', () => {
  const adapters = {
    jsonEndpoint: () => ({
      endpoint: jsonEndpoint({ loginUrl: 'https://id.test/auth/login', refreshUrl: 'https://id.test/auth/refresh' }),
      loginUrl: 'https://id.test/auth/login',
      refreshUrl: 'https://id.test/auth/refresh',
    }),
    oauth2Endpoint: () => ({
      endpoint: oauth2Endpoint({ tokenEndpoint: 'https://id.test/oauth/token', clientId: 'spa' }),
      loginUrl: 'https://id.test/oauth/token',
      refreshUrl: 'https://id.test/oauth/token',
    }),
  };
  const text = (status: number, body: string, type: string) => () => new Response(body, { status, headers: { 'content-type': type } });

  describe.each(Object.entries(adapters))('%s', (_name, make) => {
    it.each([
      ['text/plain invalid_grant', text(400, 'invalid_grant', 'text/plain'), { status: 400, error: 'invalid_grant' }],
      ['an empty 401', () => new Response(null, { status: 401 }), { status: 401 }],
      ['an HTML 403', text(403, '<html><body>Forbidden</body></html>', 'text/html'), { status: 403 }],
      [
        'problem+json',
        text(400, JSON.stringify({ title: 'invalid_grant', detail: 'Token has been revoked' }), 'application/problem+json'),
        { status: 400, error: 'invalid_grant', errorDescription: 'Token has been revoked' },
      ],
    ])('ends the session on a refused refresh with %s', async (_label, answer, details) => {
      const { endpoint, refreshUrl } = make();
      const error = await endpoint.refresh('r1', scriptedFetch(answer).context()).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'session-ended', retryable: false, details: { ...details, url: refreshUrl } });
    });

    it('says what the server said when it refuses credentials', async () => {
      const { endpoint } = make();
      const answer = () => json(400, { error: 'invalid_grant', error_description: 'user credentials are invalid' });
      await expect(endpoint.login!({ username: 'demo', password: 'x' }, scriptedFetch(answer).context())).rejects.toMatchObject({
        code: 'login-failed',
        message: 'The server rejected the credentials (400 invalid_grant): user credentials are invalid',
        details: { status: 400, error: 'invalid_grant', errorDescription: 'user credentials are invalid' },
      });
    });

    it.each([404, 405])('reports a login URL that answers %i as misconfigured, with the URL', async (status) => {
      const { endpoint, loginUrl } = make();
      await expect(endpoint.login!({ username: 'demo', password: 'demo' }, scriptedFetch(() => new Response('nope', { status })).context())).rejects.toMatchObject({
        code: 'misconfigured',
        retryable: false,
        message: `The token endpoint ${loginUrl} answered ${status}: check the URL in the worker's config`,
        details: { status, url: loginUrl },
      });
    });

    it('keeps the session on a 503 and carries the Retry-After time', async () => {
      const { endpoint } = make();
      const before = Date.now();
      const answer = () => json(503, { error: 'temporarily_unavailable' }, { 'retry-after': '120' });
      const error = (await endpoint.refresh('r1', scriptedFetch(answer).context()).catch((e: unknown) => e)) as { code: string; details: { retryAt: number } };
      expect(error.code).toBe('refresh-unavailable');
      expect(error.details.retryAt).toBeGreaterThanOrEqual(before + 120_000);
      expect(error.details.retryAt).toBeLessThanOrEqual(Date.now() + 120_000);
    });

    it('names the endpoint it could not reach', async () => {
      const { endpoint, loginUrl } = make();
      await expect(endpoint.login!({ username: 'demo', password: 'demo' }, scriptedFetch(() => 'network-error').context())).rejects.toMatchObject({
        code: 'refresh-unavailable',
        details: { url: loginUrl },
      });
    });

    it('accepts expires_in: 0 and refresh_token: null as "not said"', async () => {
      const { endpoint } = make();
      const answer = () => json(200, { access_token: 'a2', accessToken: 'a2', token_type: 'Bearer', refresh_token: null, expires_in: 0 });
      expect(await endpoint.refresh('r1', scriptedFetch(answer).context())).toMatchObject({ accessToken: 'a2', refreshToken: undefined, expiresInSeconds: undefined });
    });
  });
});

describe('oauth2Endpoint reads real servers\' answers leniently, and says why when it cannot', () => {
  const endpoint = oauth2Endpoint({ tokenEndpoint: 'https://id.test/oauth/token', clientId: 'spa' });
  const unsignedIdToken = (claims: Record<string, unknown>) =>
    `${Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`;

  it.each([
    ['no token_type', { access_token: 'a2', refresh_token: 'r2', expires_in: 30 }],
    ['scope as an array', { access_token: 'a2', refresh_token: 'r2', token_type: 'Bearer', expires_in: 30, scope: ['read', 'write'] }],
    ['expires_in as a string', { access_token: 'a2', refresh_token: 'r2', token_type: 'bearer', expires_in: '30' }],
    ['an id_token from a password grant, no issuer configured', { access_token: 'a2', refresh_token: 'r2', token_type: 'Bearer', expires_in: 30, id_token: unsignedIdToken({ iss: 'https://elsewhere.test' }) }],
  ])('accepts %s', async (_label, body) => {
    const answer = () => json(200, body);
    expect(await endpoint.login!({ username: 'demo', password: 'demo' }, scriptedFetch(answer).context())).toMatchObject({ accessToken: 'a2', refreshToken: 'r2' });
  });

  it('accepts a 201', async () => {
    const answer = () => json(201, { access_token: 'a2', refresh_token: 'r2', token_type: 'Bearer', expires_in: 30 });
    expect(await endpoint.refresh('r1', scriptedFetch(answer).context())).toEqual({ accessToken: 'a2', refreshToken: 'r2', expiresInSeconds: 30, tokenType: 'Bearer' });
  });

  it('validates an id_token when the issuer is configured, and reports the parser\'s reason', async () => {
    const strict = oauth2Endpoint({ tokenEndpoint: 'https://id.test/oauth/token', clientId: 'spa', issuer: 'https://id.test' });
    const body = { access_token: 'a2', refresh_token: 'r2', token_type: 'Bearer', expires_in: 30, id_token: unsignedIdToken({ iss: 'https://elsewhere.test', aud: 'spa', sub: 'u', iat: 1, exp: 9e9 }) };
    const error = (await strict.login!({ username: 'demo', password: 'demo' }, scriptedFetch(() => json(200, body)).context()).catch((e: unknown) => e)) as Error & { code: string };
    expect(error.code).toBe('refresh-unavailable');
    expect(error.message).toMatch(/^The token endpoint's answer is not a token response: .*iss/);
  });

  it.each([
    ['HTML', () => new Response('<html>', { status: 200, headers: { 'content-type': 'text/html' } }), 'the body is not JSON'],
    ['a JSON array', () => json(200, []), 'the body is not a JSON object'],
  ])('refuses %s with the reason', async (_label, answer, reason) => {
    await expect(endpoint.refresh('r1', scriptedFetch(answer).context())).rejects.toMatchObject({
      code: 'refresh-unavailable',
      message: `The token endpoint's answer is not a token response: ${reason}`,
    });
  });

  it('reports a JSON object without an access token with oauth4webapi\'s reason', async () => {
    const error = (await endpoint.refresh('r1', scriptedFetch(() => json(200, { hello: 'world' })).context()).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^The token endpoint's answer is not a token response: .*access_token/);
  });
});
