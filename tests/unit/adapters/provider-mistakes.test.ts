/**
 * What a new user meets in the first hour with a real identity provider, said with its
 * cause: a configuration mistake is `misconfigured` naming it, never a wrong password; a
 * redirect names the URL; a logout that did not revoke says so to every tab.
 */
import { describe, expect, it } from 'vitest';
import { jsonEndpoint } from '../../../sw/adapters/json.js';
import { oauth2Endpoint } from '../../../sw/adapters/oauth2.js';
import { oidcEndpoint } from '../../../sw/adapters/openid.js';
import type { EndpointContext, TokenEndpoint } from '../../../sw/adapters/types.js';
import { resolveConfig } from '../../../sw/config.js';
import { loggedIn, makeBroker, ScriptedEndpoint } from '../helpers.js';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** A context whose fetch answers from `answer` and records the URLs asked for. */
function answering(answer: (url: string, init?: RequestInit) => Response) {
  const urls: string[] = [];
  const context: EndpointContext = {
    timeoutMs: 1000,
    fetch: async (input, init) => {
      const request = new Request(input, init);
      urls.push(request.url);
      return answer(request.url, init);
    },
  };
  return { urls, context };
}

const tokenResponse = { access_token: 'a2', refresh_token: 'r2', token_type: 'Bearer', expires_in: 30 };
const metadata = (origin: string, extra: Record<string, unknown> = {}) => ({
  issuer: `${origin}/o`,
  authorization_endpoint: `${origin}/o/authorize/`,
  token_endpoint: `${origin}/o/token/`,
  ...extra,
});

describe('an adapter with one function replaced keeps its checks', () => {
  it('a spread oidcEndpoint built from a bad client id is still misconfigured at install', () => {
    const endpoint: TokenEndpoint = { ...oidcEndpoint({ issuer: 'https://id.test', clientId: '', redirectUri: 'https://app.test/cb' }), revoke: async () => undefined };
    expect(() => resolveConfig({ endpoint, apiAllowlist: ['https://api.test'] })).toThrow(new TypeError('clientId must be a non-empty string'));
  });

  it('a spread adapter built from good options works, with the replaced revoke', async () => {
    const revoked: string[] = [];
    const endpoint: TokenEndpoint = {
      ...oauth2Endpoint({ tokenEndpoint: 'https://id.test/token', clientId: 'spa' }),
      revoke: async (token) => void revoked.push(token),
    };
    expect(resolveConfig({ endpoint, apiAllowlist: ['https://api.test'] }).endpoint).toBe(endpoint);
    await endpoint.revoke!('r1', answering(() => json(200, {})).context);
    expect(revoked).toEqual(['r1']);
  });
});

describe('a login refused for the client, not the credentials', () => {
  const adapters = {
    oauth2Endpoint: () => oauth2Endpoint({ tokenEndpoint: 'https://id.test/token', clientId: 'spa' }),
    jsonEndpoint: () => jsonEndpoint({ loginUrl: 'https://id.test/login', refreshUrl: 'https://id.test/refresh' }),
  };
  describe.each(Object.entries(adapters))('%s', (_name, make) => {
    it.each([
      [400, 'unauthorized_client', 'The client is not authorized to use this grant type'],
      [401, 'invalid_client', 'Client authentication failed'],
      [400, 'unsupported_grant_type', 'password'],
      [400, 'invalid_scope', 'openid'],
    ])('%i %s is misconfigured, naming what the server said', async (status, error, description) => {
      const { context } = answering(() => json(status, { error, error_description: description }));
      const failure = await make().login!({ username: 'demo', password: 'demo' }, context).catch((e: unknown) => e);
      expect(failure).toMatchObject({
        code: 'misconfigured',
        message: `The token endpoint refused the client, not the credentials (${status} ${error}): ${description}: check the client id and the grant types the provider allows it`,
        details: { status, error, errorDescription: description },
      });
    });

    it('a 403 with no error code is login-failed, naming both possible causes', async () => {
      const { context } = answering(() => new Response(null, { status: 403 }));
      await expect(make().login!({ username: 'demo', password: 'demo' }, context)).rejects.toMatchObject({
        code: 'login-failed',
        message:
          "The server refused the login (403, with no error code): either the credentials, or this client is not allowed the grant (Glewlwyd answers a public client's password grant so; log in by redirect there)",
        details: { status: 403 },
      });
    });

    it('invalid_grant stays login-failed (the credentials)', async () => {
      const { context } = answering(() => json(400, { error: 'invalid_grant' }));
      await expect(make().login!({ username: 'demo', password: 'x' }, context)).rejects.toMatchObject({ code: 'login-failed' });
    });
  });
});

describe('a redirect is named, never followed', () => {
  it('from the token endpoint at login and refresh: misconfigured, with the URL and the target', async () => {
    const endpoint = oauth2Endpoint({ tokenEndpoint: 'https://id.test/o/token', clientId: 'spa' });
    const { context } = answering(() => new Response(null, { status: 301, headers: { location: '/o/token/' } }));
    const message =
      'The token endpoint https://id.test/o/token answered with a redirect to https://id.test/o/token/, which the broker does not follow: configure the final URL (for example with a trailing slash)';
    await expect(endpoint.login!({ username: 'demo', password: 'demo' }, context)).rejects.toMatchObject({ code: 'misconfigured', message });
    await expect(endpoint.refresh('r1', context)).rejects.toMatchObject({ code: 'misconfigured', message, details: { status: 301, url: 'https://id.test/o/token' } });
  });

  it('from a JSON backend: the request asks for manual redirects, and the answer is named', async () => {
    const endpoint = jsonEndpoint({ loginUrl: 'https://id.test/login', refreshUrl: 'https://id.test/refresh' });
    let redirect: RequestRedirect | undefined;
    const { context } = answering((_url, init) => ((redirect = init?.redirect), new Response(null, { status: 308, headers: { location: 'https://elsewhere.test/refresh' } })));
    await expect(endpoint.refresh('r1', context)).rejects.toMatchObject({ code: 'misconfigured', message: expect.stringContaining('answered with a redirect to https://elsewhere.test/refresh') });
    expect(redirect).toBe('manual');
  });

  it('keeps the session and does not hammer the endpoint: the cool-down holds the next refreshes', async () => {
    const endpoint = new ScriptedEndpoint();
    const { broker } = await loggedIn({ endpoint });
    let calls = 0;
    const redirecting = oauth2Endpoint({ tokenEndpoint: 'https://id.test/o/token', clientId: 'spa' });
    endpoint.refresh = (token) => (calls++, redirecting.refresh(token, answering(() => new Response(null, { status: 301, headers: { location: '/o/token/' } })).context));
    for (let i = 0; i < 5; i++) await expect(broker.refresh({ failedToken: 'access-1' })).rejects.toMatchObject({ code: 'misconfigured' });
    expect(calls).toBe(1);
    expect(await broker.status()).toMatchObject({ loggedIn: true });
  });
});

describe('OpenID discovery', () => {
  const base = { issuer: 'https://id.test/o', clientId: 'spa', redirectUri: 'https://app.test/cb' };

  it('a redirect of the well-known URL is misconfigured, naming both URLs', async () => {
    const endpoint = oidcEndpoint(base);
    const { context } = answering(() => new Response(null, { status: 301, headers: { location: '/o/.well-known/openid-configuration/' } }));
    await expect(endpoint.refresh('r1', context)).rejects.toMatchObject({
      code: 'misconfigured',
      message:
        'The OpenID discovery URL https://id.test/o/.well-known/openid-configuration answered with a redirect to https://id.test/o/.well-known/openid-configuration/, which the broker does not follow: configure the final URL (for example with a trailing slash)',
    });
  });

  it('a failed discovery says the status and the URL', async () => {
    const { context } = answering(() => new Response('not here', { status: 404 }));
    await expect(oidcEndpoint(base).refresh('r1', context)).rejects.toMatchObject({
      code: 'misconfigured',
      message: 'The OpenID provider metadata at https://id.test/o/.well-known/openid-configuration could not be read: it answered 404; check issuer (or set discoveryUrl or metadata)',
      details: { status: 404, url: 'https://id.test/o/.well-known/openid-configuration' },
    });
    const { context: down } = answering(() => new Response('busy', { status: 503 }));
    await expect(oidcEndpoint(base).refresh('r1', down)).rejects.toMatchObject({ code: 'refresh-unavailable', details: { status: 503 } });
  });

  it('reads an explicit discoveryUrl, and uses revocationEndpoint when the metadata names none', async () => {
    const endpoint = oidcEndpoint({ ...base, discoveryUrl: 'https://id.test/o/.well-known/openid-configuration/', revocationEndpoint: 'https://id.test/o/revoke_token/' });
    const { urls, context } = answering((url) => (url.includes('.well-known') ? json(200, metadata('https://id.test')) : json(200, tokenResponse)));
    await endpoint.refresh('r1', context);
    await endpoint.revoke!('r2', context);
    expect(urls).toEqual(['https://id.test/o/.well-known/openid-configuration/', 'https://id.test/o/token/', 'https://id.test/o/revoke_token/']);
  });

  it('takes metadata given in the config and fetches none', async () => {
    const endpoint = oidcEndpoint({ ...base, metadata: metadata('https://id.test') });
    const { urls, context } = answering(() => json(200, tokenResponse));
    await endpoint.refresh('r1', context);
    expect(urls).toEqual(['https://id.test/o/token/']);
    const wrong = oidcEndpoint({ ...base, metadata: { ...metadata('https://id.test'), issuer: 'https://other.test' } });
    expect(() => resolveConfig({ endpoint: wrong, apiAllowlist: ['https://api.test'] })).toThrow('metadata.issuer (https://other.test) is not the configured issuer https://id.test/o');
  });

  it('without any revocation endpoint, revoke says so', async () => {
    const { context } = answering(() => json(200, metadata('https://id.test')));
    await expect(oidcEndpoint(base).revoke!('r1', context)).rejects.toMatchObject({
      code: 'misconfigured',
      message: 'No revocation endpoint configured or discovered: the refresh token stays valid at the provider until it expires. Set revocationEndpoint in oidcEndpoint',
    });
  });
});

describe('revocation that reports its outcome to every tab', () => {
  it('revoked, after a logout the server accepted', async () => {
    const { broker, events } = await loggedIn();
    await broker.logout();
    await broker.whenIdle();
    expect(events.map((e) => [e.event, e.reason])).toContainEqual(['revoked', 'The refresh token of the logged-out session was revoked at the server']);
  });

  it('revocation-failed with what the server said, when it refused the public client (Glewlwyd answers 401)', async () => {
    const endpoint = new ScriptedEndpoint();
    const revocation = oauth2Endpoint({ tokenEndpoint: 'https://id.test/token', revocationEndpoint: 'https://id.test/revoke', clientId: 'spa' });
    endpoint.revoke = (token) => revocation.revoke!(token, answering(() => json(401, { error: 'invalid_client' })).context);
    const { broker, events } = await loggedIn({ endpoint });
    await broker.logout();
    await broker.whenIdle();
    const failed = events.find((e) => e.event === 'revocation-failed');
    expect(failed?.reason).toBe(
      'The refresh token of the logged-out session was not revoked: The revocation endpoint https://id.test/revoke refused the request (401 invalid_client): it may require client authentication, which a public client cannot give. Replace the adapter\'s revoke (see "Your identity provider" in docs/configuration.md)',
    );
    expect(failed?.status).toMatchObject({ loggedIn: false });
  });

  it('revocation-failed when no revocation endpoint is configured at all', async () => {
    const endpoint = new ScriptedEndpoint();
    (endpoint as { revoke?: unknown }).revoke = undefined;
    const { broker, events } = makeBroker({ endpoint });
    await broker.login({ username: 'demo', password: 'demo' });
    await broker.logout();
    await broker.whenIdle();
    expect(events.find((e) => e.event === 'revocation-failed')?.reason).toBe(
      'The refresh token of the logged-out session was not revoked: No revocation endpoint configured: the refresh token stays valid at the server until it expires. Set revocationEndpoint (oauth2Endpoint, oidcEndpoint) or logoutUrl (jsonEndpoint)',
    );
  });

  it('carries the server status and URL in details, never a token', async () => {
    const endpoint = new ScriptedEndpoint();
    const revocation = jsonEndpoint({ loginUrl: 'https://id.test/login', refreshUrl: 'https://id.test/refresh', logoutUrl: 'https://id.test/logout' });
    endpoint.revoke = (token) => revocation.revoke!(token, answering(() => json(503, { error: 'temporarily_unavailable' })).context);
    const { broker, events } = await loggedIn({ endpoint });
    await broker.logout();
    await broker.whenIdle();
    const failed = events.find((e) => e.event === 'revocation-failed');
    expect(failed?.reason).toBe('The refresh token of the logged-out session was not revoked: The revocation endpoint https://id.test/logout answered 503 temporarily_unavailable');
    expect(failed?.details).toEqual({ status: 503, error: 'temporarily_unavailable', url: 'https://id.test/logout' });
    expect(JSON.stringify(events)).not.toContain('refresh-1');
  });
});
