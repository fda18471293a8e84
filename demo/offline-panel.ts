/**
 * The offline queue's panel (pages whose worker has `offlineQueue`): a network switch (the
 * demo server drops its connections), notes written through axios, what the queue says in
 * every tab, and the notes in the order the server received them.
 */
import type { AxiosInstance } from 'axios';
import { QUEUED_HEADER, type BrokerClient, type QueuedRequest } from '../src/index.js';
import { $, describe, log, onCounters, tabName } from './ui.js';

interface Note {
  n: number;
  text: string;
  tab: string | null;
}

export function wireOfflinePanel(broker: BrokerClient, api: AxiosInstance): void {
  if (!document.getElementById('offline-card')) return;
  let written = 0;
  let pending = 0;
  const input = $('note-text') as HTMLInputElement;
  const nextText = () => (input.value = `note ${++written} from ${tabName()}`);
  nextText();

  const showPending = (count: number) => {
    pending = Math.max(0, count);
    $('queue-pending').textContent = String(pending);
  };
  const showNetwork = (down: boolean) => {
    const state = $('network-state');
    state.textContent = down ? 'down (the server drops connections)' : 'up';
    state.className = `pill ${down ? 'pill-off' : 'pill-ok'}`;
    $('network-toggle').textContent = down ? 'Bring the network back' : 'Take the network down';
    $('network-toggle').dataset.down = String(down);
  };
  // From the demo's own route, not the API: the demo calls the API only when a button is pressed.
  const showNotes = async () => {
    try {
      const data = (await (await fetch('/auth/demo/notes', { cache: 'no-store' })).json()) as { notes: Note[] };
      const list = $('notes');
      list.replaceChildren(
        ...(data.notes.length ? data.notes : [null]).map((note) => {
          const item = document.createElement('li');
          if (note) item.textContent = note.text;
          else (item.className = 'muted'), (item.textContent = 'none yet');
          return item;
        }),
      );
    } catch {
      // Offline or logged out: keep what was shown.
    }
  };

  const what = (request: QueuedRequest) => `${request.method} ${new URL(request.url).pathname}`;
  broker.on('queued', (event) => {
    showPending(pending + 1);
    log('warn', `Queue: kept ${what(event.request!)} made offline (no token stored with it)`);
  });
  broker.on('replayed', (event) => {
    showPending(pending - 1);
    log('ok', `Queue: replayed ${what(event.request!)}: ${event.request!.status}`);
    void showNotes();
  });
  broker.on('dropped', (event) => {
    if (event.request!.dropReason !== 'full') showPending(pending - 1);
    log('error', `Queue: dropped ${what(event.request!)} (${event.request!.dropReason}${event.request!.status ? `, ${event.request!.status}` : ''}): ${event.reason ?? ''}`);
  });

  $('write-note').addEventListener('click', async () => {
    const text = input.value;
    try {
      const response = await api.post('/api/notes', { text, tab: tabName() });
      if (response.status === 202 && response.headers[QUEUED_HEADER]) log('info', `“${text}”: offline, the worker keeps it (202 Accepted) and sends it when the network returns`);
      else log('ok', `“${text}”: written (${response.status})`);
      nextText();
      void showNotes();
    } catch (error) {
      log('error', `“${text}” failed: ${describe(error)}`);
    }
  });
  $('network-toggle').addEventListener('click', async () => {
    const down = $('network-toggle').dataset.down !== 'true';
    const response = await fetch('/auth/demo/network', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ down }) });
    if (!response.ok) return log('error', `The server did not switch the network: ${((await response.json().catch(() => ({}))) as { error_description?: string }).error_description ?? response.status}`);
    showNetwork(down);
    if (down) return log('info', 'The network is down: API calls fail, writes are kept by the worker');
    log('info', 'The network is back: this page tells the worker, as it does on the browser’s online event');
    showPending((await broker.replayQueue()).pending);
  });

  // The server's switch, as another tab may have set it: read from the counters' poll.
  onCounters((stats) => typeof stats.networkDown === 'boolean' && showNetwork(stats.networkDown));
  void broker.replayQueue().then(({ pending: count }) => showPending(count), () => undefined);
  void showNotes();
}
