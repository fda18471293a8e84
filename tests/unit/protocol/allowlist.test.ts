import { describe, expect, it } from 'vitest';
import { isAllowedUrl, parseAllowlist } from '../../../protocol/index.js';

describe('the allowlist rule', () => {
  const origin = parseAllowlist(['https://api.example.com']);
  const prefixed = parseAllowlist(['https://api.example.com/v1/', 'http://127.0.0.1:5173/api']);

  it.each([
    ['the exact origin', 'https://api.example.com/users', true],
    ['the default port written out', 'https://api.example.com:443/users', true],
    ['another port', 'https://api.example.com:8443/users', false],
    ['plain http', 'http://api.example.com/users', false],
    ['a subdomain', 'https://evil.api.example.com/users', false],
    ['a parent domain', 'https://example.com/users', false],
    ['a lookalike suffix', 'https://api.example.com.evil.test/users', false],
    ['a lookalike with a dash', 'https://api-example.com/users', false],
    ['userinfo that hides the host', 'https://api.example.com@evil.test/users', false],
    ['credentials on the right host', 'https://user:pass@api.example.com/users', false],
    ['a relative URL', '/users', false],
    ['garbage', 'not a url', false],
  ])('on an origin entry, %s → %s', (_label, url, expected) => {
    expect(isAllowedUrl(url, origin)).toBe(expected);
  });

  it.each([
    ['under the prefix', 'https://api.example.com/v1/users', true],
    ['the prefix itself', 'https://api.example.com/v1/', true],
    ['outside the prefix', 'https://api.example.com/v2/users', false],
    ['a dot-dot escape (normalised by URL)', 'https://api.example.com/v1/../admin', false],
    ['an encoded slash escape', 'https://api.example.com/v1%2F..%2Fadmin', false],
    ['an encoded dot-dot escape', 'https://api.example.com/v1/%2e%2e/admin', false],
    ['a segment prefix without a slash', 'http://127.0.0.1:5173/api/data', true],
    ['the bare segment', 'http://127.0.0.1:5173/api', true],
    ['a longer segment', 'http://127.0.0.1:5173/apikeys', false],
    ['localhost for 127.0.0.1', 'http://localhost:5173/api/data', false],
  ])('on a path-prefix entry, %s → %s', (_label, url, expected) => {
    expect(isAllowedUrl(url, prefixed)).toBe(expected);
  });

  it('refuses entries that are not absolute http(s) URLs', () => {
    expect(() => parseAllowlist(['api.example.com'])).toThrow(new TypeError('allowlist entry is not an absolute URL: api.example.com'));
    expect(() => parseAllowlist(['ftp://api.example.com'])).toThrow(TypeError);
    expect(() => parseAllowlist(['https://api.example.com/?q=1'])).toThrow(TypeError);
  });
});
