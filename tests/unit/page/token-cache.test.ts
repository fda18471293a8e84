/** The page's handoff tokens: one cached token per API, picked by URL the way the worker picks. */
import { describe, expect, it } from 'vitest';
import { HandoffTokens } from '../../../src/token-cache.js';
import type { HandoffTokenResult } from '../../../protocol/index.js';

const result = (accessToken: string, generation: number, refreshAt = 10_000): HandoffTokenResult => ({ mode: 'handoff', accessToken, generation, refreshAt, accessExpiresAt: refreshAt + 1000, session: 'sub:demo' });

describe('HandoffTokens', () => {
  it('keys a URL by its most specific API entry, else the login token', () => {
    const tokens = new HandoffTokens();
    tokens.apis = ['https://graph.test/', 'https://graph.test/beta/'];
    expect(tokens.keyFor(new URL('https://graph.test/v1/me'))).toBe('https://graph.test/');
    expect(tokens.keyFor(new URL('https://graph.test/beta/me'))).toBe('https://graph.test/beta/');
    expect(tokens.keyFor(new URL('https://api.test/x'))).toBe('');
    expect(tokens.keyFor(undefined)).toBe('');
  });

  it('caches one token per API and shares one load per API between concurrent callers', async () => {
    const tokens = new HandoffTokens();
    let loads = 0;
    const load = (token: string) => async () => (loads++, result(token, 1));
    const [a, b, c] = await Promise.all([tokens.get('', 0, load('login')), tokens.get('', 0, load('login')), tokens.get('g', 0, load('graph'))]);
    expect([a.accessToken, b.accessToken, c.accessToken]).toEqual(['login', 'login', 'graph']);
    expect(loads).toBe(2);
    tokens.remember('', a);
    tokens.remember('g', c);
    expect((await tokens.get('g', 5, load('again'))).accessToken).toBe('graph');
    // Due: loaded again.
    expect((await tokens.get('g', 10_000, load('graph-2'))).accessToken).toBe('graph-2');
    tokens.clear();
    expect((await tokens.get('', 5, load('after-clear'))).accessToken).toBe('after-clear');
  });

  it('never replaces a newer token with an older one, and remembers whose session a token is', () => {
    const tokens = new HandoffTokens();
    tokens.remember('', result('new', 3));
    tokens.remember('', result('old', 2));
    expect(tokens.sessionOf('new')).toBe('sub:demo');
    return tokens.get('', 0, async () => result('loaded', 9)).then((got) => expect(got.accessToken).toBe('new'));
  });
});
