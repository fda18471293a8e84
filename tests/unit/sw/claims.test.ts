import { describe, expect, it } from 'vitest';
import { jsonEndpoint } from '../../../sw/adapters/json.js';
import type { TokenSet } from '../../../sw/adapters/types.js';
import { idTokenClaims } from '../../../sw/claims.js';
import { loggedIn, ScriptedEndpoint } from '../helpers.js';

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (payload: Record<string, unknown>) => `${base64url({ alg: 'RS256' })}.${base64url(payload)}.signature`;

describe("the id_token's claims pages may read", () => {
  it('keeps who the user is and leaves out the nonce and the hashes of other tokens', () => {
    const claims = idTokenClaims(jwt({ sub: 'u1', name: 'Zoë', email: 'z@example.test', nonce: 'n', at_hash: 'h', c_hash: 'c', iss: 'https://id.test', exp: 1 }));
    expect(claims).toEqual({ sub: 'u1', name: 'Zoë', email: 'z@example.test', iss: 'https://id.test', exp: 1 });
  });

  it('gives nothing for what is not a JWT, a payload that is not an object, or one too large to send to every tab', () => {
    expect(idTokenClaims('opaque')).toBeUndefined();
    expect(idTokenClaims(42)).toBeUndefined();
    expect(idTokenClaims(`${base64url({})}.${base64url([1, 2])}.s`)).toBeUndefined();
    expect(idTokenClaims(jwt({ sub: 'u1', groups: 'x'.repeat(5000) }))).toBeUndefined();
  });

  it('reads an idToken (or id_token) from a JSON backend answer', async () => {
    const endpoint = jsonEndpoint({ loginUrl: 'https://id.test/login', refreshUrl: 'https://id.test/refresh' });
    const fetchFn: typeof fetch = async () => Response.json({ accessToken: 'a1', refreshToken: 'r1', expiresIn: 30, idToken: jwt({ sub: 'u1', name: 'Ada', nonce: 'n' }) });
    const tokens = await endpoint.login!({ username: 'demo', password: 'demo' }, { fetch: fetchFn, timeoutMs: 1000 });
    expect(tokens.claims).toEqual({ sub: 'u1', name: 'Ada' });
  });

  it('are in the status from login, stay across refreshes that bring no id_token, and are gone after logout', async () => {
    class WithIdToken extends ScriptedEndpoint {
      override async login(credentials: Readonly<Record<string, string>>): Promise<TokenSet> {
        return { ...(await super.login(credentials)), claims: { sub: 'u1', name: 'Ada' } };
      }
    }
    const { broker } = await loggedIn({ endpoint: new WithIdToken() });
    expect((await broker.status()).claims).toEqual({ sub: 'u1', name: 'Ada' });
    await broker.refresh({ failedToken: 'access-1' });
    expect(await broker.status()).toMatchObject({ generation: 2, claims: { sub: 'u1', name: 'Ada' } });
    await broker.logout();
    expect((await broker.status()).claims).toBeNull();
  });
});
