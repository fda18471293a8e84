/** vault/validate-call.ts: the frame reads the app's calls from a table, with the worker's shape and size limits. */
import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES } from '../../../protocol/index.js';
import { parseVaultCall } from '../../../vault/validate-call.js';

const app = 'https://app.test';
const api = 'https://api.test/notes';
const codeOf = (message: unknown) => {
  const parsed = parseVaultCall(message, app);
  return 'error' in parsed ? parsed.error.code : 'ok';
};

describe('the vault frame’s call table', () => {
  it('reads each call type into a fresh object of its own fields only', () => {
    expect(parseVaultCall({ id: 'v1', type: 'status', extra: 'ignored' }, app)).toEqual({ id: 'v1', call: { type: 'status' } });
    expect(parseVaultCall({ id: 'v2', type: 'logout' }, app)).toEqual({ id: 'v2', call: { type: 'logout' } });
    expect(parseVaultCall({ id: 'v3', type: 'login', credentials: { username: 'a', password: 'b' } }, app)).toMatchObject({ call: { type: 'login', credentials: { username: 'a', password: 'b' } } });
    expect(parseVaultCall({ id: 'v4', type: 'finishLogin', callbackSearch: '?code=c&state=s' }, app)).toEqual({ id: 'v4', call: { type: 'finishLogin', callbackSearch: '?code=c&state=s' } });
    expect(parseVaultCall({ id: 'v5', type: 'authorize', returnTo: `${app}/page#frag`, check: 'c'.repeat(20) }, app)).toEqual({
      id: 'v5',
      call: { type: 'authorize', returnTo: `${app}/page`, check: 'c'.repeat(20) },
    });
    expect(parseVaultCall({ id: 'v6', type: 'request', request: { method: 'post', url: api, headers: { 'content-type': 'text/plain' }, body: 'x', more: 1 } }, app)).toMatchObject({
      id: 'v6',
      call: { type: 'request', request: { method: 'POST', url: api, headers: { 'content-type': 'text/plain' }, body: 'x' } },
    });
  });

  it('passes the authorization parameters of a login on, as strings and numbers only (the vault’s worker applies its own rule 14)', () => {
    expect(parseVaultCall({ id: 'a', type: 'authorize', returnTo: `${app}/`, check: 'c'.repeat(20), authorizationParams: { prompt: 'login', max_age: 0 } }, app)).toMatchObject({
      call: { type: 'authorize', authorizationParams: { prompt: 'login', max_age: 0 } },
    });
    expect(codeOf({ type: 'authorize', returnTo: `${app}/`, check: 'c'.repeat(20), authorizationParams: { prompt: ['login'] } })).toBe('malformed-message');
  });

  it('keeps a credential or header named __proto__ a plain key', () => {
    const parsed = parseVaultCall(JSON.parse('{"id":"p","type":"login","credentials":{"__proto__":"x","username":"u"}}'), app);
    expect('call' in parsed && parsed.call.type === 'login' && Object.keys(parsed.call.credentials)).toEqual(['__proto__', 'username']);
  });

  it('refuses data that is not plain, as the worker does: a Map, bytes, a class instance, a cycle', () => {
    const cycle: Record<string, unknown> = { type: 'status' };
    cycle.self = cycle;
    expect(codeOf(new Map([['type', 'status']]))).toBe('malformed-message');
    expect(codeOf(new Uint8Array(8).buffer)).toBe('malformed-message');
    expect(codeOf({ type: 'status', when: new Date() })).toBe('malformed-message');
    expect(codeOf(cycle)).toBe('malformed-message');
    expect(codeOf(null)).toBe('malformed-message');
  });

  it('applies the worker’s limits: nesting, values, 64 KiB for every call but a request, 1 MiB for a request body', () => {
    let nested: unknown = { type: 'status' };
    for (let i = 0; i < 20; i++) nested = { inner: nested };
    expect(codeOf({ type: 'status', nested })).toBe('message-too-large');
    expect(codeOf({ type: 'status', many: Array.from({ length: 5000 }, () => 0) })).toBe('message-too-large');
    expect(codeOf({ type: 'login', credentials: { username: 'a', password: 'x'.repeat(MAX_MESSAGE_BYTES) } })).toBe('message-too-large');
    expect(codeOf({ type: 'request', request: { method: 'POST', url: api, headers: {}, body: 'x'.repeat(1024 * 1024) } })).toBe('ok');
    expect(codeOf({ type: 'request', request: { method: 'POST', url: api, headers: {}, body: 'x'.repeat(1024 * 1024 + 1) } })).toBe('malformed-message');
  });

  it('answers an unknown or missing type with unknown-type, and keeps the id only when it is a short string', () => {
    expect(parseVaultCall({ id: 'a', type: 'getToken' }, app)).toMatchObject({ id: 'a', error: { code: 'unknown-type' } });
    expect(parseVaultCall({ id: 'a', type: 'constructor' }, app)).toMatchObject({ error: { code: 'unknown-type' } });
    expect(parseVaultCall({ id: 'x'.repeat(65), type: 'status' }, app)).toMatchObject({ id: '' });
    expect(codeOf({ id: 'a' })).toBe('unknown-type');
  });

  it('refuses each malformed field with a sentence naming it', () => {
    const refusals: Array<[unknown, RegExp]> = [
      [{ type: 'login', credentials: { username: ['demo'] } }, /login\.credentials/],
      [{ type: 'login', credentials: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`f${i}`, 'v'])) }, /at most 16/],
      [{ type: 'authorize', returnTo: 'https://evil.example/', check: 'c'.repeat(20) }, /authorize\.returnTo must be an absolute URL on https:\/\/app\.test/],
      [{ type: 'authorize', returnTo: `${app}/`, check: 'short' }, /authorize\.check/],
      [{ type: 'finishLogin', callbackSearch: 'code=1' }, /finishLogin\.callbackSearch/],
      [{ type: 'request', request: { method: 'TRACE', url: api, headers: {}, body: null } }, /request\.method/],
      [{ type: 'request', request: { method: 'GET', url: 'javascript:alert(1)', headers: {}, body: null } }, /request\.url/],
      [{ type: 'request', request: { method: 'GET', url: `${api}?${'q'.repeat(9000)}`, headers: {}, body: null } }, /request\.url/],
      [{ type: 'request', request: { method: 'GET', url: api, headers: { a: 1 }, body: null } }, /request\.headers/],
      [{ type: 'request', request: { method: 'GET', url: api, headers: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`h${i}`, 'v'])), body: null } }, /request\.headers/],
      [{ type: 'request', request: { method: 'POST', url: api, headers: {}, body: 42 } }, /request\.body/],
      [{ type: 'request', request: 'GET /' }, /request must be an object/],
    ];
    for (const [message, why] of refusals) {
      const parsed = parseVaultCall(message, app);
      expect(parsed, JSON.stringify(message).slice(0, 80)).toMatchObject({ error: { code: 'malformed-message' } });
      expect('error' in parsed && parsed.error.message).toMatch(why);
    }
  });
});
