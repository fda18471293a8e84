/** The parts of the demo page both variants share: tab name, log, counters, expiry clock. */

export interface Counters {
  logins: number;
  refreshes: number;
  reuseDetected: number;
  apiCalls: number;
  api401: number;
}

const ANIMALS = ['Otter', 'Heron', 'Lynx', 'Puffin', 'Marten', 'Ibex', 'Gecko', 'Wren', 'Badger', 'Kestrel'];

/** A short name for this tab, kept across reloads of the tab (where the site may keep data). */
export function tabName(): string {
  const key = 'demo.tabName';
  let storage: Storage | undefined;
  try {
    storage = sessionStorage;
  } catch {
    // Site data blocked: a new name at every load.
  }
  let name = storage?.getItem(key);
  if (!name) {
    name = `${ANIMALS[Math.floor(Math.random() * ANIMALS.length)]} ${Math.floor(Math.random() * 900 + 100)}`;
    storage?.setItem(key, name);
  }
  return name;
}

export function $(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (!element) throw new Error(`Missing #${id}`);
  return element;
}

/** Appends a line to the event log, newest first. */
export function log(kind: 'info' | 'ok' | 'warn' | 'error', text: string): void {
  const list = $('log');
  const item = document.createElement('li');
  item.className = `log-${kind}`;
  const time = document.createElement('time');
  time.textContent = new Date().toLocaleTimeString([], { hour12: false });
  item.append(time, document.createTextNode(text));
  list.prepend(item);
  while (list.children.length > 200) list.lastElementChild?.remove();
}

/** Listeners for each poll of the server's counters (the offline panel reads the network switch from it). */
const counterListeners = new Set<(stats: Counters & { networkDown?: boolean }) => void>();

/** Calls `listener` with every poll of `/auth/stats` (one poll per page: each request wakes a worker with a fetch listener). */
export function onCounters(listener: (stats: Counters & { networkDown?: boolean }) => void): void {
  counterListeners.add(listener);
}

/** Polls the server's counters and shows them. */
export function watchCounters(): void {
  const show = async () => {
    try {
      const response = await fetch('/auth/stats', { cache: 'no-store' });
      const stats = (await response.json()) as Counters & { networkDown?: boolean };
      for (const listener of counterListeners) listener(stats);
      for (const key of ['logins', 'refreshes', 'reuseDetected', 'apiCalls', 'api401'] as const) {
        $(`count-${key}`).textContent = String(stats[key]);
      }
      $('count-reuseDetected').closest('.counter')?.classList.toggle('alarm', stats.reuseDetected > 0);
    } catch {
      // Server restarting: keep the last numbers.
    }
  };
  void show();
  setInterval(show, 1000);
  $('reset-counters').addEventListener('click', async () => {
    await fetch('/auth/stats/reset', { method: 'POST' });
    void show();
    log('info', 'Server counters reset');
  });
}

/** Shows the session state, the time left on the access token, and on the session when its end is known. */
export function showSession(loggedIn: boolean, expiresAt: number | null, sessionEndsAt: number | null = null, idleEndsAt: number | null = null): void {
  const state = $('session-state');
  state.textContent = loggedIn ? 'Logged in' : 'Logged out';
  state.className = `pill ${loggedIn ? 'pill-ok' : 'pill-off'}`;
  const left = expiresAt === null ? null : Math.max(0, (expiresAt - Date.now()) / 1000);
  $('token-expiry').textContent = left === null ? '—' : left === 0 ? 'expired' : `${left.toFixed(1)} s`;
  const end = document.getElementById('session-end');
  const seconds = sessionEndsAt === null ? 0 : Math.max(0, Math.round((sessionEndsAt - Date.now()) / 1000));
  if (end) end.textContent = !loggedIn || sessionEndsAt === null ? 'no limit known' : sessionEndsAt === idleEndsAt ? `${seconds} s if idle (an open tab keeps it alive)` : `${seconds} s (its maximum)`;
}

/** Fires `count` API calls at once and logs how they ended. */
export async function fireCalls(call: () => Promise<unknown>, count = 10): Promise<void> {
  const started = performance.now();
  const results = await Promise.allSettled(Array.from({ length: count }, call));
  const ok = results.filter((r) => r.status === 'fulfilled').length;
  const failed = results.length - ok;
  const reasons = [...new Set(results.flatMap((r) => (r.status === 'rejected' ? [describe(r.reason)] : [])))];
  log(failed ? 'error' : 'ok', `${count} API calls: ${ok} ok, ${failed} failed${reasons.length ? ` (${reasons.join('; ')})` : ''} in ${Math.round(performance.now() - started)} ms`);
}

export function describe(error: unknown): string {
  const e = error as { code?: string; message?: string; response?: { status?: number } };
  if (e?.response?.status) return `HTTP ${e.response.status}`;
  return e?.code ? `${e.code}: ${e.message}` : String(e?.message ?? error);
}

export function openAnotherTab(): void {
  // noopener: the new tab gets its own sessionStorage (an opened window copies its opener's), so its own name.
  window.open(location.href, '_blank', 'noopener');
}

/**
 * Wires "Expire the access token at the server": the next calls get 401 although every tab
 * still thinks its token is good, which is the path a 401-refresh-retry interceptor takes.
 */
export function wireExpireAtServer(): void {
  $('expire').addEventListener('click', async () => {
    const response = await fetch('/auth/demo/expire-access-tokens', { method: 'POST' });
    if (response.ok) log('info', 'The server now rejects every access token: the next calls get 401, then the client refreshes and retries');
    else log('error', `The server did not expire the tokens: ${((await response.json().catch(() => ({}))) as { error_description?: string }).error_description ?? response.status}`);
  });
}

/**
 * Wires "Fire in every tab at once": the tabs of one page kind hear each other over a
 * BroadcastChannel, like tabs whose timers all fire when a laptop wakes up.
 */
export function wireFireEverywhere(channelName: string, call: () => Promise<unknown>): void {
  const channel = new BroadcastChannel(channelName);
  channel.onmessage = () => {
    log('info', 'Another tab said: fire now');
    void fireCalls(call);
  };
  $('fire-all').addEventListener('click', () => {
    channel.postMessage('fire');
    void fireCalls(call);
  });
}
