/**
 * src/popup-login.ts: the popup opened before any await, the worker's authorization URL loaded
 * into it, the result read from the worker's popup page once it is back on this origin, and a
 * blocked, closed or slow popup each a typed error. The popup is a stand-in window object.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { POPUP_DONE_PARAM } from '../../../protocol/index.js';
import { loginInPopup } from '../../../src/popup-login.js';

/** A window as the opener sees it: cross-origin (unreadable) while at the provider. */
class FakePopup {
  closed = false;
  #href = 'about:blank';
  readonly location = (() => {
    const popup = this;
    return {
      get href(): string {
        if (!popup.#href.startsWith('https://app.test/') && popup.#href !== 'about:blank') throw new DOMException('Blocked a frame with origin "https://app.test" from accessing a cross-origin frame.', 'SecurityError');
        return popup.#href;
      },
      set href(value: string) {
        popup.#href = value;
      },
    };
  })();
  close() {
    this.closed = true;
  }
  /** Where the browser took the popup (the test plays the provider and the worker). */
  go(url: string) {
    this.#href = url;
  }
}

let opened: FakePopup[];
beforeEach(() => {
  opened = [];
  Object.assign(globalThis, {
    location: new URL('https://app.test/page'),
    window: { open: () => (opened.push(new FakePopup()), opened.at(-1)) },
  });
});

const authorize = (seen: unknown[] = []) => async (fields: unknown) => (seen.push(fields), { authorizationUrl: 'https://id.test/auth?state=s' });
const done = (fragment: Record<string, string>) => `https://app.test/callback?${POPUP_DONE_PARAM}=1#${new URLSearchParams(fragment)}`;

describe('login in a popup', () => {
  it('opens the popup first, sends it to the provider, and resolves when the worker’s popup page carries this login’s ok; the popup is closed', async () => {
    const seen: Array<Record<string, unknown>> = [];
    const login = loginInPopup(authorize(seen as unknown[]), { authorizationParams: { prompt: 'login' } });
    expect(opened).toHaveLength(1);
    const popup = opened[0];
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen[0]).toMatchObject({ returnTo: '/page', popup: true, authorizationParams: { prompt: 'login' }, check: expect.any(String) });
    popup.go('https://id.test/login');
    await new Promise((resolve) => setTimeout(resolve, 250));
    popup.go(done({ 'sw-token-broker': 'ok', check: seen[0].check as string }));
    await login;
    expect(popup.closed).toBe(true);
  });

  it('rejects with the typed error the worker put in the result', async () => {
    const seen: Array<Record<string, unknown>> = [];
    const login = loginInPopup(authorize(seen as unknown[]));
    await new Promise((resolve) => setTimeout(resolve, 10));
    opened[0].go(done({ 'sw-token-broker': 'error', code: 'login-failed', message: 'The authorization response was rejected: the provider answered access_denied', check: seen[0].check as string }));
    await expect(login).rejects.toMatchObject({ name: 'LoginFailedError', code: 'login-failed', message: expect.stringMatching(/access_denied/) });
  });

  it('takes no result of another login (another check)', async () => {
    const login = loginInPopup(authorize());
    await new Promise((resolve) => setTimeout(resolve, 10));
    opened[0].go(done({ 'sw-token-broker': 'ok', check: 'someone-elses' }));
    await expect(login).rejects.toMatchObject({ code: 'login-failed', message: 'The popup came back with the result of another login' });
  });

  it('a blocked popup is popup-blocked, before anything is asked of the worker', async () => {
    (globalThis as unknown as { window: { open: () => null } }).window.open = () => null;
    const seen: unknown[] = [];
    await expect(loginInPopup(authorize(seen))).rejects.toMatchObject({ code: 'popup-blocked' });
    expect(seen).toEqual([]);
  });

  it('a popup the user closed is popup-closed; one that takes too long is closed and popup-timeout', async () => {
    const closedByUser = loginInPopup(authorize());
    await new Promise((resolve) => setTimeout(resolve, 10));
    opened[0].go('https://id.test/login');
    opened[0].close();
    await expect(closedByUser).rejects.toMatchObject({ code: 'popup-closed' });

    const slow = loginInPopup(authorize(), { timeoutMs: 300 });
    await new Promise((resolve) => setTimeout(resolve, 10));
    opened[1].go('https://id.test/login');
    await expect(slow).rejects.toMatchObject({ code: 'popup-timeout' });
    expect(opened[1].closed).toBe(true);
  });

  it('closes the popup when the worker refuses to start the login (a forbidden parameter)', async () => {
    const refusing = async () => Promise.reject(Object.assign(new Error('client_id is set by the broker itself'), { code: 'forbidden-parameter' }));
    await expect(loginInPopup(refusing, { authorizationParams: { client_id: 'x' } })).rejects.toMatchObject({ code: 'forbidden-parameter' });
    expect(opened[0].closed).toBe(true);
  });
});
