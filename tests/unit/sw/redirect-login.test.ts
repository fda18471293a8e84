import { describe, expect, it } from 'vitest';
import { endpointMistake } from '../../../sw/adapters/misconfigured.js';
import { oidcEndpoint, type OidcEndpointOptions } from '../../../sw/adapters/openid.js';
import { TokenBroker } from '../../../sw/broker.js';
import { resolveConfig } from '../../../sw/config.js';
import { inMemoryLocks } from '../../../sw/lock.js';
import { indexedDbStore, memoryStore, type SessionStore } from '../../../sw/store.js';
import { handleMessage } from '../../../sw/message-handler.js';
import { jsonEndpoint } from '../../../sw/adapters/json.js';
import { POPUP_DONE_PARAM, PROTOCOL, PROTOCOL_VERSION } from '../../../protocol/index.js';
import { loginCallback } from '../../../sw/login-callback.js';
import { UserinfoReader } from '../../../sw/userinfo.js';

const issuer = 'https://id.test';

/** A scripted OpenID provider at the fetch level: discovery and a token endpoint that checks PKCE. */
function provider(options: { userinfo?: boolean } = {}) {
  const codes = new Map<string, { challenge: string; nonce: string }>();
  const seen: string[] = [];
  /** What the userinfo endpoint answers next: a subject, or 401. */
  const userinfoAnswers: Array<string | 401> = [];
  let issued = 0;
  const fetchFn: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    seen.push(`${request.method} ${new URL(request.url).pathname}`);
    if (request.url === `${issuer}/.well-known/openid-configuration`) {
      return Response.json({
        issuer,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        revocation_endpoint: `${issuer}/revoke`,
        ...(options.userinfo ? { userinfo_endpoint: `${issuer}/me` } : {}),
      });
    }
    if (request.url === `${issuer}/me`) {
      const answer = userinfoAnswers.shift() ?? 'u1';
      if (answer === 401) return new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
      return Response.json({ sub: answer, name: 'User One', authorization: request.headers.get('authorization') });
    }
    if (request.url === `${issuer}/token`) {
      const form = new URLSearchParams(await request.text());
      if (form.get('grant_type') === 'refresh_token') {
        issued++;
        return Response.json({ access_token: `a-refreshed-${issued}`, refresh_token: `r${issued}`, token_type: 'Bearer', expires_in: 60 });
      }
      const code = codes.get(form.get('code') ?? '');
      const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(form.get('code_verifier') ?? ''));
      const challenge = Buffer.from(digest).toString('base64url');
      if (!code || code.challenge !== challenge) return Response.json({ error: 'invalid_grant' }, { status: 400 });
      codes.delete(form.get('code')!);
      issued++;
      const now = Math.floor(Date.now() / 1000);
      const idToken = [
        Buffer.from(JSON.stringify({ alg: 'RS256' })).toString('base64url'),
        Buffer.from(JSON.stringify({ iss: issuer, aud: 'spa', sub: 'u1', iat: now, exp: now + 60, nonce: code.nonce })).toString('base64url'),
        'sig',
      ].join('.');
      return Response.json({ access_token: 'a1', refresh_token: `r${issued}`, token_type: 'Bearer', expires_in: 60, id_token: idToken });
    }
    return new Response('not found', { status: 404 });
  };
  /** What the provider does when the user logs in: a code bound to the request's PKCE challenge. */
  const approve = (authorizationUrl: string, overrides: Record<string, string> = {}) => {
    const request = new URL(authorizationUrl).searchParams;
    const code = `code-${codes.size + 1}`;
    codes.set(code, { challenge: request.get('code_challenge')!, nonce: request.get('nonce')! });
    const callback = new URL(request.get('redirect_uri')!);
    callback.search = new URLSearchParams({ code, state: request.get('state')!, iss: issuer, ...overrides }).toString();
    return callback;
  };
  return { fetchFn, approve, seen, userinfoAnswers };
}

function makeBroker(fetchFn: typeof fetch, store: SessionStore = memoryStore(), now: () => number = Date.now, options: Partial<OidcEndpointOptions> = {}) {
  const endpoint = oidcEndpoint({ issuer, clientId: 'spa', redirectUri: 'https://app.test/callback', ...options });
  const config = resolveConfig({ endpoint, apiAllowlist: ['https://api.test'] });
  const events: string[] = [];
  const broker = new TokenBroker({ config, name: 'oidc', store, locks: inMemoryLocks(), notify: (e) => void events.push(e), fetch: fetchFn, now });
  return { broker, events, store };
}

describe('login by redirect (authorization code + PKCE)', () => {
  it('sends an S256 challenge, state and nonce, and exchanges the code with the verifier', async () => {
    const idp = provider();
    const { broker, events } = makeBroker(idp.fetchFn);
    const url = new URL(await broker.startRedirectLogin('/after'));
    expect(url.origin + url.pathname).toBe(`${issuer}/auth`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: 'spa',
      response_type: 'code',
      redirect_uri: 'https://app.test/callback',
      code_challenge_method: 'S256',
      scope: 'openid',
    });
    expect(url.searchParams.get('state')).toBeTruthy();
    expect(url.searchParams.get('nonce')).toBeTruthy();
    const result = await broker.finishRedirectLogin(idp.approve(url.href), '/');
    expect(result).toEqual({ returnTo: '/after' });
    expect(await broker.status()).toMatchObject({ loggedIn: true });
    expect(events).toEqual(['login']);
  });

  it('a second login by redirect replaces the session without revoking the old refresh token (providers share one grant per browser session)', async () => {
    const idp = provider();
    const { broker } = makeBroker(idp.fetchFn);
    await broker.finishRedirectLogin(idp.approve(await broker.startRedirectLogin('/')), '/');
    await broker.finishRedirectLogin(idp.approve(await broker.startRedirectLogin('/')), '/');
    await broker.whenIdle();
    expect(await broker.status()).toMatchObject({ loggedIn: true, generation: 2 });
    expect(idp.seen.filter((request) => request.endsWith('/revoke'))).toEqual([]);
  });

  it('survives a worker restart during the redirect: the pending login is in IndexedDB', async () => {
    const idp = provider();
    const name = `pkce-${Math.random()}`;
    const first = makeBroker(idp.fetchFn, indexedDbStore(name));
    const url = await first.broker.startRedirectLogin('/');
    const restarted = makeBroker(idp.fetchFn, indexedDbStore(name));
    expect(await restarted.broker.finishRedirectLogin(idp.approve(url), '/')).toEqual({ returnTo: '/' });
  });

  it('rejects a replayed callback', async () => {
    const idp = provider();
    const { broker } = makeBroker(idp.fetchFn);
    const callback = idp.approve(await broker.startRedirectLogin('/'));
    await broker.finishRedirectLogin(callback, '/');
    const replay = await broker.finishRedirectLogin(callback, '/');
    expect(replay.error).toMatchObject({ code: 'login-failed', message: 'Unknown or already used login state (a replayed or forged callback)' });
  });

  it('rejects a callback whose state matches no login started here', async () => {
    const idp = provider();
    const { broker } = makeBroker(idp.fetchFn);
    const callback = idp.approve(await broker.startRedirectLogin('/'), { state: 'forged' });
    expect((await broker.finishRedirectLogin(callback, '/')).error).toMatchObject({ code: 'login-failed' });
    expect(await broker.status()).toMatchObject({ loggedIn: false });
  });

  it('rejects an error response from the provider with login-failed', async () => {
    const idp = provider();
    const { broker } = makeBroker(idp.fetchFn);
    const url = new URL(await broker.startRedirectLogin('/back'));
    const callback = new URL('https://app.test/callback');
    callback.search = new URLSearchParams({ error: 'access_denied', state: url.searchParams.get('state')!, iss: issuer }).toString();
    const result = await broker.finishRedirectLogin(callback, '/');
    expect(result.returnTo).toBe('/back');
    expect(result.error).toMatchObject({ code: 'login-failed', message: 'The authorization response was rejected: the provider answered access_denied' });
  });

  it('rejects a code exchanged with the wrong verifier (the provider refuses it)', async () => {
    const idp = provider();
    const { broker, store } = makeBroker(idp.fetchFn);
    const url = await broker.startRedirectLogin('/');
    const state = new URL(url).searchParams.get('state')!;
    const pending = (await store.takePending(state))!;
    await store.savePending({ ...pending, codeVerifier: 'a'.repeat(43) });
    expect((await broker.finishRedirectLogin(idp.approve(url), '/')).error).toMatchObject({ code: 'login-failed' });
  });
});

describe('pending logins by redirect', () => {
  it('keeps at most 10, purges expired ones, and returns the page\'s one-time value with the result', async () => {
    const idp = provider();
    const clock = { now: Date.now() };
    const { broker, store } = makeBroker(idp.fetchFn, indexedDbStore(`pending-${Math.random()}`), () => clock.now);
    for (let i = 0; i < 50; i++) await broker.startRedirectLogin('/', { check: `check-${String(i).padStart(12, '0')}` });
    expect(await store.listPending()).toHaveLength(10);
    clock.now += 11 * 60_000;
    const url = await broker.startRedirectLogin('/back', { check: 'the-one-time-value-of-this-tab' });
    expect(await store.listPending()).toHaveLength(1);
    clock.now = Date.now();
    expect(await broker.finishRedirectLogin(idp.approve(url), '/')).toEqual({ returnTo: '/back', check: 'the-one-time-value-of-this-tab' });
  });
});

describe('finishLogin: a callback no worker answered, passed back as a message (vault mode in WebKit)', () => {
  const send = async (broker: TokenBroker, config: ReturnType<typeof resolveConfig>, data: Record<string, unknown>) => {
    const replies: unknown[] = [];
    await handleMessage(broker, config, { protocol: PROTOCOL, v: 1, id: 'f1', ...data }, { postMessage: (m) => replies.push(m) });
    return replies[0] as Record<string, unknown>;
  };
  const setup = () => {
    const idp = provider();
    const { broker } = makeBroker(idp.fetchFn);
    const config = resolveConfig({ endpoint: oidcEndpoint({ issuer, clientId: 'spa', redirectUri: 'https://app.test/callback' }), apiAllowlist: ['https://api.test'] });
    return { idp, config, broker };
  };

  it('exchanges the code of a pending login and answers where it started, with its one-time value', async () => {
    const { idp, config, broker } = setup();
    const url = await broker.startRedirectLogin('/vault/?back', { check: 'one-time-value-0001' });
    const callback = idp.approve(url);
    expect(await send(broker, config, { type: 'finishLogin', callbackSearch: callback.search })).toEqual({ ok: true, id: 'f1', returnTo: '/vault/?back', check: 'one-time-value-0001', error: null });
    expect((await broker.status()).loggedIn).toBe(true);
    // The same callback again: its state was used.
    expect(await send(broker, config, { type: 'finishLogin', callbackSearch: callback.search })).toMatchObject({ ok: true, check: null, error: { code: 'login-failed' } });
  });

  it('refuses a callbackSearch that is not a query string, and answers not-supported for a credentials endpoint', async () => {
    const { config, broker } = setup();
    for (const callbackSearch of ['code=x&state=y', 42, '?'.padEnd(5000, 'x')]) {
      expect(await send(broker, config, { type: 'finishLogin', callbackSearch })).toMatchObject({ ok: false, error: { code: 'malformed-message' } });
    }
    const json = resolveConfig({ endpoint: jsonEndpoint({ loginUrl: 'https://id.test/login', refreshUrl: 'https://id.test/refresh' }), apiAllowlist: ['https://api.test'] });
    expect(await send(broker, json, { type: 'finishLogin', callbackSearch: '?code=x&state=y' })).toMatchObject({ ok: false, error: { code: 'not-supported' } });
  });
});

describe('authorization parameters: the worker decides (rule 14)', () => {
  const configured = { scope: 'openid profile email offline_access', authorizationParams: { audience: 'https://api.test', prompt: 'consent' } };

  it('sends the configured defaults and what the page may set, after them, with the worker’s own values last', async () => {
    const idp = provider();
    const { broker } = makeBroker(idp.fetchFn, memoryStore(), Date.now, configured);
    const url = new URL(await broker.startRedirectLogin('/', { authorizationParams: { prompt: 'select_account', login_hint: 'ada@example.com', max_age: 300, ui_locales: 'de' } }));
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      scope: 'openid profile email offline_access',
      audience: 'https://api.test',
      prompt: 'select_account',
      login_hint: 'ada@example.com',
      max_age: '300',
      ui_locales: 'de',
      client_id: 'spa',
      redirect_uri: 'https://app.test/callback',
      response_type: 'code',
      code_challenge_method: 'S256',
    });
  });

  it.each([
    ['client_id', { client_id: 'evil' }, /client_id is set by the broker itself/],
    ['redirect_uri', { redirect_uri: 'https://evil.example/cb' }, /redirect_uri is set by the broker itself/],
    ['state', { state: 'x' }, /state is set by the broker itself/],
    ['nonce', { nonce: 'x' }, /nonce is set by the broker itself/],
    ['code_challenge', { code_challenge: 'x' }, /code_challenge is set by the broker itself/],
    ['response_mode', { response_mode: 'form_post' }, /response_mode is set by the broker itself/],
    ['an unlisted name', { organization: 'org_1' }, /organization is not among the parameters the worker lets pages set \(prompt, login_hint, ui_locales, acr_values, max_age\)/],
    ['a scope (not listed)', { scope: 'openid' }, /scope is not among/],
    ['a control character', { login_hint: 'ada\r\nx' }, /login_hint must be a string .* without control characters/],
    ['a long value', { login_hint: 'a'.repeat(1025) }, /at most 1024 characters/],
    ['an object value', { login_hint: { a: 1 } }, /login_hint must be a string/],
    ['a max_age that is not a number of seconds', { max_age: '5 minutes' }, /max_age must be a whole number of seconds/],
  ])('refuses %s with forbidden-parameter, before any request and without keeping a pending login', async (_what, params, message) => {
    const idp = provider();
    const { broker, store } = makeBroker(idp.fetchFn, memoryStore(), Date.now, configured);
    const error = await broker.startRedirectLogin('/', { authorizationParams: params as never }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'forbidden-parameter' });
    expect((error as Error).message).toMatch(message);
    expect(idp.seen).toEqual([]);
    expect(await store.listPending()).toEqual([]);
  });

  it('lets a page narrow a scope or pick a configured audience when the config lists them, never widen or pick another', async () => {
    const idp = provider();
    const { broker } = makeBroker(idp.fetchFn, memoryStore(), Date.now, { ...configured, pageAuthorizationParams: ['scope', 'audience'] });
    const narrowed = new URL(await broker.startRedirectLogin('/', { authorizationParams: { scope: 'openid email', audience: 'https://api.test' } }));
    expect(narrowed.searchParams.get('scope')).toBe('openid email');
    await expect(broker.startRedirectLogin('/', { authorizationParams: { scope: 'openid admin' } })).rejects.toMatchObject({ code: 'forbidden-parameter', message: expect.stringMatching(/not configured: admin/) });
    await expect(broker.startRedirectLogin('/', { authorizationParams: { audience: 'https://other.example' } })).rejects.toMatchObject({ code: 'forbidden-parameter', message: expect.stringMatching(/not one the worker is configured for/) });
  });

  it('takes a config that sets a reserved parameter, or lets pages set one, for a mistake (installTokenBroker answers misconfigured, naming it)', () => {
    const base = { issuer, clientId: 'spa', redirectUri: 'https://app.test/callback' };
    expect(endpointMistake(oidcEndpoint({ ...base, authorizationParams: { client_id: 'x' } }))?.message).toBe('authorizationParams.client_id is set by the broker itself and cannot be configured');
    expect(endpointMistake(oidcEndpoint({ ...base, pageAuthorizationParams: ['state'] }))?.message).toBe('pageAuthorizationParams cannot include state: the broker sets it itself');
    expect(endpointMistake(oidcEndpoint({ ...base, authorizationParams: { audience: 'a\nb' } }))?.message).toMatch(/authorizationParams\.audience must be a string/);
    expect(endpointMistake(oidcEndpoint({ ...base, authorizationParams: { audience: 'https://api.test' }, pageAuthorizationParams: ['prompt'] }))).toBeUndefined();
  });

  it('arrives through the page message: a forbidden parameter is a typed reply, and a malformed one is malformed-message', async () => {
    const idp = provider();
    const { broker } = makeBroker(idp.fetchFn, memoryStore(), Date.now, configured);
    const config = resolveConfig({ endpoint: oidcEndpoint({ issuer, clientId: 'spa', redirectUri: 'https://app.test/callback', ...configured }), apiAllowlist: ['https://api.test'] });
    const ask = async (authorizationParams: unknown) => {
      const replies: unknown[] = [];
      await handleMessage(broker, config, { protocol: PROTOCOL, v: PROTOCOL_VERSION, id: 'a', type: 'authorize', returnTo: '/', check: 'c'.repeat(20), authorizationParams }, { postMessage: (m: unknown) => void replies.push(m) }, {});
      return replies[0];
    };
    expect(await ask({ login_hint: 'ada' })).toMatchObject({ ok: true, authorizationUrl: expect.stringContaining('login_hint=ada') });
    expect(await ask({ client_id: 'evil' })).toMatchObject({ ok: false, error: { code: 'forbidden-parameter' } });
    expect(await ask({ login_hint: ['a'] })).toMatchObject({ ok: false, error: { code: 'malformed-message' } });
    expect(await ask('prompt=login')).toMatchObject({ ok: false, error: { code: 'malformed-message' } });
  });
});

describe('login in a popup: the worker’s end', () => {
  const navigate = (url: string) => new Request(url, { mode: 'same-origin' as RequestMode }) as Request;
  /** A navigation request (the Request constructor refuses mode 'navigate'). */
  const navigation = (url: string) => ({ url, mode: 'navigate' }) as Request;

  it('answers a popup login’s callback with a 303 to its own popup page, the result and the one-time value in the fragment, and serves that page without script', async () => {
    const idp = provider();
    const { broker, events } = makeBroker(idp.fetchFn);
    const url = await broker.startRedirectLogin('/page', { check: 'popup-one-time-value', popup: true });
    const handle = loginCallback(broker, 'https://app.test/callback', '/')!;
    const callback = idp.approve(url);
    const response = await handle(navigation(callback.href))!;
    expect(response.status).toBe(303);
    const target = new URL(response.headers.get('location')!);
    expect(target.origin + target.pathname + target.search).toBe(`https://app.test/callback?${POPUP_DONE_PARAM}=1`);
    expect(Object.fromEntries(new URLSearchParams(target.hash.slice(1)))).toEqual({ 'sw-token-broker': 'ok', check: 'popup-one-time-value' });
    expect(events).toContain('login');
    const page = await handle(navigation(target.href))!;
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe("default-src 'none'");
    expect(await page.text()).not.toMatch(/<script/i);
    // Not a navigation: left to the network.
    expect(handle(navigate(target.href))).toBeUndefined();
  });

  it('sends a login that was not started in a popup back to its page, as before', async () => {
    const idp = provider();
    const { broker } = makeBroker(idp.fetchFn);
    const url = await broker.startRedirectLogin('/page', { check: 'redirect-one-time-value' });
    const response = await loginCallback(broker, 'https://app.test/callback', '/')!(navigation(idp.approve(url).href))!;
    expect(new URL(response.headers.get('location')!).pathname).toBe('/page');
  });
});

describe('logout at the provider (OpenID Connect RP-Initiated Logout)', () => {
  const options = { endSessionEndpoint: `${issuer}/session/end`, postLogoutRedirectUri: 'https://app.test/' };

  it("logs out here, then answers the provider's end-session URL with the login's id_token as the hint, the config's redirect and the tab's state", async () => {
    const idp = provider();
    const { broker, events } = makeBroker(idp.fetchFn, memoryStore(), Date.now, options);
    await broker.finishRedirectLogin(idp.approve(await broker.startRedirectLogin('/')), '/');
    const { status, endSessionUrl } = await broker.logoutAtProvider('state-of-this-tab-0001');
    expect(status.loggedIn).toBe(false);
    expect(events).toContain('logged-out');
    const url = new URL(endSessionUrl);
    expect(url.origin + url.pathname).toBe(`${issuer}/session/end`);
    const hint = url.searchParams.get('id_token_hint')!;
    expect(JSON.parse(Buffer.from(hint.split('.')[1]!, 'base64url').toString())).toMatchObject({ iss: issuer, sub: 'u1' });
    expect(Object.fromEntries([...url.searchParams].filter(([name]) => name !== 'id_token_hint'))).toEqual({
      client_id: 'spa',
      post_logout_redirect_uri: 'https://app.test/',
      state: 'state-of-this-tab-0001',
    });
    await broker.whenIdle();
    expect(idp.seen).toContain('POST /revoke');
  });

  it('a provider without an end-session endpoint: the local logout happens, and the answer is a typed not-supported', async () => {
    const idp = provider();
    const { broker } = makeBroker(idp.fetchFn);
    await broker.finishRedirectLogin(idp.approve(await broker.startRedirectLogin('/')), '/');
    await expect(broker.logoutAtProvider('state-of-this-tab-0002')).rejects.toMatchObject({ code: 'not-supported', details: { error: 'end_session_unsupported' } });
    expect((await broker.status()).loggedIn).toBe(false);
  });

  it('the logout message: endSession needs the tab’s one-time value; anything else is malformed', async () => {
    const idp = provider();
    const { broker } = makeBroker(idp.fetchFn, memoryStore(), Date.now, options);
    const config = resolveConfig({ endpoint: oidcEndpoint({ issuer, clientId: 'spa', redirectUri: 'https://app.test/callback', ...options }), apiAllowlist: ['https://api.test'] });
    const send = async (data: Record<string, unknown>) => {
      const replies: unknown[] = [];
      await handleMessage(broker, config, { protocol: PROTOCOL, v: PROTOCOL_VERSION, id: 'l1', type: 'logout', ...data }, { postMessage: (m) => replies.push(m) });
      return replies[0] as Record<string, unknown>;
    };
    for (const wrong of [{ endSession: true }, { endSession: 'yes', check: 'state-of-this-tab-0003' }, { endSession: true, check: 'short' }, { check: 'state-of-this-tab-0003' }]) {
      expect(await send(wrong)).toMatchObject({ ok: false, error: { code: 'malformed-message' } });
    }
    const answered = await send({ endSession: true, check: 'state-of-this-tab-0003' });
    expect(answered).toMatchObject({ ok: true, status: { loggedIn: false } });
    expect(new URL(answered.endSessionUrl as string).searchParams.get('state')).toBe('state-of-this-tab-0003');
    expect(await send({})).toMatchObject({ ok: true, status: { loggedIn: false } });
  });
});

describe('userinfo', () => {
  const setup = async () => {
    const idp = provider({ userinfo: true });
    const { broker } = makeBroker(idp.fetchFn);
    await broker.finishRedirectLogin(idp.approve(await broker.startRedirectLogin('/')), '/');
    const endpoint = resolveConfig({ endpoint: oidcEndpoint({ issuer, clientId: 'spa', redirectUri: 'https://app.test/callback' }), apiAllowlist: ['https://api.test'] }).endpoint;
    const reader = new UserinfoReader({ endpoint, tokens: broker, context: (dpop) => ({ fetch: idp.fetchFn, timeoutMs: 5000, dpop }) });
    const reads = () => idp.seen.filter((line) => line === 'GET /me').length;
    return { idp, broker, reader, reads };
  };

  it("reads the provider's userinfo with the session's access token, once per session", async () => {
    const { reader, reads } = await setup();
    expect(await reader.read()).toEqual({ sub: 'u1', name: 'User One', authorization: 'Bearer a1' });
    expect(await reader.read()).toMatchObject({ sub: 'u1' });
    expect(reads()).toBe(1);
    reader.forget();
    await reader.read();
    expect(reads()).toBe(2);
  });

  it('an answer for another subject is session-changed, and nothing is returned or kept', async () => {
    const { idp, reader } = await setup();
    idp.userinfoAnswers.push('u2');
    await expect(reader.read()).rejects.toMatchObject({ code: 'session-changed' });
    expect(await reader.read()).toMatchObject({ sub: 'u1' });
  });

  it('a 401 (the token expired early) costs one refresh and one retry', async () => {
    const { idp, reader } = await setup();
    idp.userinfoAnswers.push(401);
    expect(await reader.read()).toMatchObject({ sub: 'u1', authorization: 'Bearer a-refreshed-2' });
    expect(idp.seen.filter((line) => line === 'POST /token')).toHaveLength(2);
  });

  it('a provider without a userinfo endpoint: not-supported', async () => {
    const idp = provider();
    const { broker } = makeBroker(idp.fetchFn);
    await broker.finishRedirectLogin(idp.approve(await broker.startRedirectLogin('/')), '/');
    const endpoint = resolveConfig({ endpoint: oidcEndpoint({ issuer, clientId: 'spa', redirectUri: 'https://app.test/callback' }), apiAllowlist: ['https://api.test'] }).endpoint;
    const reader = new UserinfoReader({ endpoint, tokens: broker, context: (dpop) => ({ fetch: idp.fetchFn, timeoutMs: 5000, dpop }) });
    await expect(reader.read()).rejects.toMatchObject({ code: 'not-supported' });
  });
});
