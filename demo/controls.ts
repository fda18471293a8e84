/**
 * The controls every broker demo page wires the same way: the session line (polled), the
 * login form, the fire buttons, logout and "open another tab". The broker or the vault
 * client behind them is the page's own.
 */
import type { AxiosInstance } from 'axios';
import type { SessionStatus } from '../src/index.js';
import { $, describe, fireCalls, log, openAnotherTab, showSession, wireFireEverywhere } from './ui.js';

export interface SessionControls {
  status(): Promise<SessionStatus>;
  logout(): Promise<unknown>;
  /** Logs in with the form's fields; the page says how (credentials, or a redirect). */
  login(form: FormData): Promise<void>;
}

/** Wires the page's controls to `session` and `api`; `channel` names the "fire in every tab" broadcast. */
export function wireControls(session: SessionControls, api: AxiosInstance, channel: string): void {
  const update = async () => {
    try {
      const status = await session.status();
      showSession(status.loggedIn, status.accessExpiresAt);
    } catch (error) {
      $('session-state').textContent = describe(error);
    }
  };
  void update();
  setInterval(update, 500);

  $('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await session.login(new FormData(event.target as HTMLFormElement));
    } catch (error) {
      log('error', `Login failed: ${describe(error)}`);
    }
    void update();
  });
  $('fire').addEventListener('click', () => fireCalls(() => api.get('/api/data')));
  wireFireEverywhere(channel, () => api.get('/api/data'));
  $('logout').addEventListener('click', async () => {
    try {
      await session.logout();
    } catch (error) {
      log('error', `Logout failed: ${describe(error)}`);
    }
    void update();
  });
  $('open-tab').addEventListener('click', openAnotherTab);
}
