/**
 * The controls every broker demo page wires the same way: the session line (polled), the
 * login form (credentials, or a redirect to the identity provider and the result when it
 * sends the browser back), the fire buttons, logout and "open another tab". The broker or
 * the vault client behind them is the page's own.
 */
import type { AxiosInstance } from 'axios';
import type { SessionStatus } from '../src/index.js';
import { $, describe, fireCalls, log, openAnotherTab, showSession, wireExpireAtServer, wireFireEverywhere } from './ui.js';

/** What the controls need of a session: `BrokerClient` and `VaultClient` both are one. */
export interface SessionControls {
  readonly loginKind: 'password' | 'redirect';
  status(): Promise<SessionStatus>;
  logout(options?: { endSession?: boolean }): Promise<unknown>;
  login(credentials: Record<string, string>): Promise<unknown>;
  loginWithRedirect(options?: { authorizationParams?: Record<string, string | number | undefined> }): Promise<unknown>;
  /** Login in a popup (the page's BrokerClient; the vault has none). */
  loginWithPopup?(): Promise<unknown>;
  /** True on the page a redirect login came back to (the vault's reads its frame: a promise). */
  takeRedirectResult(): boolean | Promise<boolean>;
}

/**
 * Wires the page's controls to `session` and `api`; `channel` names the "fire in every
 * tab" broadcast; `where` ends the login lines (" (in the vault)").
 */
export function wireControls(session: SessionControls, api: AxiosInstance, channel: string, where = ''): void {
  if (session.loginKind === 'redirect') {
    // The identity provider asks for the credentials on its own page.
    $('login-form').classList.add('redirect');
    $('login').textContent = 'Log in with the identity provider';
    void (async () => {
      try {
        if (await session.takeRedirectResult()) log('ok', `Logged in through the identity provider${where}`);
      } catch (error) {
        log('error', `Login failed: ${describe(error)}`);
      }
    })();
  }
  const update = async () => {
    try {
      const status = await session.status();
      showSession(status.loggedIn, status.accessExpiresAt, status.sessionExpiresAt ?? null, status.idleExpiresAt ?? null);
    } catch (error) {
      $('session-state').textContent = describe(error);
    }
  };
  void update();
  setInterval(update, 500);

  $('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      if (session.loginKind === 'redirect') return void (await session.loginWithRedirect());
      const form = new FormData(event.target as HTMLFormElement);
      await session.login({ username: String(form.get('username')), password: String(form.get('password')) });
      log('ok', `Logged in${where}`);
    } catch (error) {
      log('error', `Login failed: ${describe(error)}`);
    }
    void update();
  });
  const popupButton = $('login-popup');
  if (!session.loginWithPopup) popupButton.remove();
  popupButton.addEventListener('click', async () => {
    try {
      // Straight from the click: a popup opened after an await of ours could be blocked.
      await session.loginWithPopup!();
      log('ok', `Logged in through the identity provider, in a popup${where}`);
    } catch (error) {
      log('error', `Login failed: ${describe(error)}`);
    }
    void update();
  });
  $('fire').addEventListener('click', () => fireCalls(() => api.get('/api/data')));
  wireFireEverywhere(channel, () => api.get('/api/data'));
  wireExpireAtServer();
  $('logout').addEventListener('click', async () => {
    try {
      await session.logout();
    } catch (error) {
      log('error', `Logout failed: ${describe(error)}`);
    }
    void update();
  });
  $('open-tab').addEventListener('click', openAnotherTab);
  // With an identity provider: end its session too (RP-initiated logout), so the next login asks again.
  const endSession = $('logout-provider');
  // (The vault's client has neither popup login nor a logout at the provider.)
  endSession.hidden = session.loginKind !== 'redirect' || !session.loginWithPopup;
  endSession.addEventListener('click', async () => {
    try {
      await session.logout({ endSession: true });
    } catch (error) {
      log('error', `Logout at the provider failed: ${describe(error)}`);
    }
  });
  // RFC 9470: the demo's API that wants a login of the last minute answers a step-up challenge
  // once the login is older; the broker rejects with StepUpRequiredError, and no refresh.
  // (Hidden in the layout: only pages wired here have it.)
  $('step-up').hidden = false;
  $('step-up').addEventListener('click', async () => {
    try {
      const { data } = await api.get('/api/recent-login');
      log('ok', `The recent-login API answered: logged in ${Math.round(Date.now() / 1000 - (data as { authTime: number }).authTime)} s ago`);
    } catch (error) {
      const { code, details } = error as { code?: string; details?: { maxAge?: number; acrValues?: string } };
      if (code !== 'step-up-required') return void log('error', `The recent-login API failed: ${describe(error)}`);
      log('warn', `Step-up required (max_age ${details?.maxAge ?? '-'}): no refresh was made; log in again${session.loginKind === 'redirect' ? ' (the identity provider asks for the password again)' : ' with the form'}`);
      if (session.loginKind === 'redirect') await session.loginWithRedirect({ authorizationParams: { max_age: details?.maxAge, acr_values: details?.acrValues } });
    }
  });
}
