/** Rule 14, one access token per API: config checks, one flight for every API's refresh, tokens only for their own API. */
import { describe, expect, it } from 'vitest';
import type { EndpointContext, TokenSet } from '../../../sw/adapters/types.js';
import { jsonEndpoint } from '../../../sw/adapters/json.js';
import { resolveConfig } from '../../../sw/config.js';
import type { TokenResult } from '../../../protocol/index.js';
import { loggedIn, ScriptedEndpoint } from '../helpers.js';

const API = 'https://api.test';
const GRAPH = 'https://graph.test/v1/';
const apis = { [GRAPH]: { audience: 'https://graph', scope: 'mail.read' } };
const allowlist = [API, GRAPH];

/** A JWT-shaped token (unsigned: the broker only reads its claims). */
const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

/**
 * A rotating endpoint that records each refresh grant's parameters and how many overlap, and
 * issues JWT access tokens whose `aud` is what was asked for (or, `ignoresAudience`, never).
 */
class AudienceEndpoint extends ScriptedEndpoint {
  readonly sendsGrantParameters = true;
  grants: Array<Record<string, string> | undefined> = [];
  inFlight = 0;
  maxInFlight = 0;
  ignoresAudience = false;

  override async refresh(refreshToken: string, context?: EndpointContext): Promise<TokenSet> {
    this.grants.push(context?.grantParameters ? { ...context.grantParameters } : undefined);
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    try {
      const tokens = await super.refresh(refreshToken);
      const aud = this.ignoresAudience ? 'default-api' : (context?.grantParameters?.audience ?? 'default-api');
      return { ...tokens, accessToken: jwt({ aud, n: tokens.accessToken }) };
    } finally {
      this.inFlight--;
    }
  }
}

const tokenOf = (result: TokenResult) => ('accessToken' in result ? result.accessToken : undefined);
const audienceOf = (token: string | undefined) => JSON.parse(Buffer.from(token!.split('.')[1]!, 'base64url').toString()).aud as string;

describe('config.apis (rule 14)', () => {
  const endpoint = new AudienceEndpoint();
  it('takes allowlist entries mapped to an audience or a resource', () => {
    const config = resolveConfig({ endpoint, apiAllowlist: allowlist, apis: { ...apis, [API]: { resource: 'https://api.test/' } } });
    expect(config.apis.map((api) => api.key)).toEqual([GRAPH, API]);
  });

  it.each([
    ['a key outside the allowlist', { 'https://other.test': { audience: 'x' } }, /not an entry of config.apiAllowlist/],
    ['neither audience nor resource', { [GRAPH]: { scope: 'read' } }, /needs an audience or a resource/],
    ['a resource with a fragment', { [GRAPH]: { resource: 'https://graph.test/#x' } }, /without a fragment/],
    ['a value with a line break', { [GRAPH]: { audience: 'a\nb' } }, /printable string/],
  ])('refuses %s with a TypeError naming it', (_name, wrong, message) => {
    expect(() => resolveConfig({ endpoint, apiAllowlist: allowlist, apis: wrong as never })).toThrow(message);
  });

  it('refuses an adapter that cannot send the parameters (jsonEndpoint)', () => {
    const json = jsonEndpoint({ loginUrl: 'https://id.test/login', refreshUrl: 'https://id.test/refresh' });
    expect(() => resolveConfig({ endpoint: json, apiAllowlist: allowlist, apis })).toThrow(/oauth2Endpoint or oidcEndpoint/);
  });
});

describe('one access token per API', () => {
  const setUp = () => loggedIn({ endpoint: new AudienceEndpoint(), apiAllowlist: allowlist, apis });

  it('a storm on two APIs at expiry costs one grant per API, one at a time, each with the rotated refresh token', async () => {
    const { broker, endpoint: scripted, clock } = await setUp();
    const endpoint = scripted as AudienceEndpoint;
    clock.now += 61_000;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => broker.getToken(undefined, i % 2 === 0 ? `${API}/data` : `${GRAPH}me/messages`)),
    );
    expect(endpoint.refreshCalls).toEqual(['refresh-1', 'refresh-2']);
    expect(endpoint.maxInFlight).toBe(1);
    expect(endpoint.grants).toContainEqual({ audience: 'https://graph', scope: 'mail.read' });
    expect(endpoint.grants).toContainEqual(undefined);
    const byApi = (prefix: string) => new Set(results.filter((_, i) => (i % 2 === 0) === (prefix === API)).map(tokenOf));
    expect([...byApi(API)].map(audienceOf)).toEqual(['default-api']);
    expect([...byApi(GRAPH)].map(audienceOf)).toEqual(['https://graph']);
  });

  it("an API's first token comes from a grant; later requests reuse it until it is due", async () => {
    const { broker, endpoint } = await setUp();
    const first = await broker.getToken(undefined, `${GRAPH}me`);
    const again = await broker.getToken(undefined, `${GRAPH}me`);
    expect(tokenOf(again)).toBe(tokenOf(first));
    expect(endpoint.refreshCalls).toHaveLength(1);
    // The login's token is untouched by it.
    expect(tokenOf(await broker.getToken(undefined, `${API}/x`))).toBe('access-1');
    expect(tokenOf(await broker.getToken())).toBe('access-1');
  });

  it("a 401 for one API's token refreshes that API's token only; a stale report gets the newer one", async () => {
    const { broker, endpoint } = await setUp();
    const graph = tokenOf(await broker.getToken(undefined, `${GRAPH}me`))!;
    const result = await broker.refresh({ failedToken: graph, url: `${GRAPH}me` });
    expect(result.refreshed).toBe(true);
    expect(audienceOf(tokenOf(result))).toBe('https://graph');
    expect(tokenOf(await broker.getToken(undefined, `${API}/x`))).toBe('access-1');
    const stale = await broker.refresh({ failedToken: graph, url: `${GRAPH}me` });
    expect(stale.refreshed).toBe(false);
    expect(tokenOf(stale)).toBe(tokenOf(result));
    expect(endpoint.refreshCalls).toHaveLength(2);
    // A report naming the graph token against the other API is not about its token: no refresh.
    expect((await broker.refresh({ failedToken: graph, url: `${API}/x` })).refreshed).toBe(false);
    expect(endpoint.refreshCalls).toHaveLength(2);
  });

  it('sealed mode signs each request with the token of its own API', async () => {
    const { broker } = await loggedIn({ endpoint: new AudienceEndpoint(), apiAllowlist: allowlist, apis, mode: 'sealed' });
    expect((await broker.sealedToken(`${API}/x`)).accessToken).toBe('access-1');
    expect(audienceOf((await broker.sealedToken(`${GRAPH}me`)).accessToken)).toBe('https://graph');
    expect((await broker.sealedToken(`${API}/y`)).accessToken).toBe('access-1');
  });

  it('gives no token for a URL outside the allowlist (misconfigured), and asks no server', async () => {
    const { broker, endpoint } = await setUp();
    await expect(broker.getToken(undefined, 'https://evil.test/steal')).rejects.toMatchObject({ code: 'misconfigured' });
    await expect(broker.getToken(undefined, 'https://graph.test/v2/other')).rejects.toMatchObject({ code: 'misconfigured' });
    expect(endpoint.refreshCalls).toHaveLength(0);
  });

  it("a provider that ignores the audience is misconfigured, naming it; its rotation is kept, so the next grant is no reuse", async () => {
    const { broker, endpoint: scripted, clock } = await setUp();
    const endpoint = scripted as AudienceEndpoint;
    endpoint.ignoresAudience = true;
    const error = await broker.getToken(undefined, `${GRAPH}me`).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'misconfigured', details: { error: 'audience_mismatch' } });
    expect(String((error as Error).message)).toContain('https://graph');
    // The session lives on with the rotated refresh token: the login's API still works, and its refresh presents refresh-2.
    clock.now += 61_000;
    expect(audienceOf(tokenOf(await broker.getToken(undefined, `${API}/x`)))).toBe('default-api');
    expect(endpoint.refreshCalls).toEqual(['refresh-1', 'refresh-2']);
    expect((await broker.status()).loggedIn).toBe(true);
  });

  it('the offline queue token scan sees API tokens too', async () => {
    const { broker } = await setUp();
    const graph = tokenOf(await broker.getToken(undefined, `${GRAPH}me`))!;
    expect(await broker.holdsTokenIn([`{"copied":"${graph}"}`])).toBe(true);
  });
});
