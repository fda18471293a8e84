/**
 * `watchToken`: the current access token for something that holds one for long (a WebSocket,
 * an SDK), and each next one before the old expires. The next one is asked for at the token's
 * `refreshAt`, so the worker's one flight refreshes it once for every tab; a refresh made
 * elsewhere (another tab, a 401) is passed on as soon as this tab hears of it.
 */
import { ErrorCode, hasErrorCode, type BrokerEventType, type HandoffTokenResult } from '../protocol/index.js';

export interface WatchHost {
  /** `fresh`: not this tab's cached token (another tab refreshed). */
  token(fresh: boolean): Promise<HandoffTokenResult>;
  on(event: BrokerEventType, handler: () => void): () => void;
}

/** After an error that may pass (offline, the endpoint down), the next try. */
const RETRY_MS = 5_000;
const MAX_DELAY_MS = 2 ** 31 - 1;

export function watchToken(host: WatchHost, listener: (token: string | null) => void): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last: string | null | undefined;
  const tell = (token: string | null) => {
    if (stopped || token === last) return;
    last = token;
    listener(token);
  };
  const schedule = (delay: number) => {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(() => void next(), Math.min(MAX_DELAY_MS, Math.max(0, delay)));
  };
  const next = async (fresh = false) => {
    try {
      const result = await host.token(fresh);
      tell(result.accessToken);
      schedule(result.refreshAt - Date.now());
    } catch (error) {
      // Logged out or ended: none until a login (heard below); anything else is tried again.
      if (hasErrorCode(error, ErrorCode.NotLoggedIn) || hasErrorCode(error, ErrorCode.SessionEnded) || hasErrorCode(error, ErrorCode.NotSupported)) tell(null);
      else schedule(RETRY_MS);
    }
  };
  const unsubscribe = [
    host.on('login', () => void next()),
    host.on('refreshed', () => void next(true)),
    host.on('logged-out', () => (clearTimeout(timer), tell(null))),
    host.on('session-ended', () => (clearTimeout(timer), tell(null))),
  ];
  void next();
  return () => {
    stopped = true;
    clearTimeout(timer);
    for (const each of unsubscribe) each();
  };
}
