/**
 * Which tab runs the page-side broker. With Web Locks: the tab that holds a lock for as long as
 * it lives (the browser hands it to the next waiting tab when it closes; never two holders).
 * Where Web Locks are refused (Chromium with the site's data blocked throws `SecurityError`),
 * over the BroadcastChannel: the oldest tab that answers leads; a leader that closes says so
 * (`pagehide`), and a leader that stops answering is replaced when a tab's question goes
 * unanswered. Two leaders can then exist for a moment (a frozen tab that wakes): each steps
 * down when it hears an older one.
 */

/** Starts an election; `lead` is called once, when this tab comes to lead. */
export type Election = (lead: () => void) => ElectionHandle;

export interface ElectionHandle {
  /** Says whether a leader answered lately; for a follower whose request went unanswered. */
  probe(): void;
  /** Stops taking part. */
  close(): void;
}

/** Whether this page may use Web Locks. */
export async function webLocksUsable(): Promise<boolean> {
  try {
    await navigator.locks.request(`sw-token-broker:probe:${Math.random()}`, { ifAvailable: true }, () => undefined);
    return true;
  } catch {
    return false;
  }
}

/** Leads while holding the lock `name`. */
export function lockElection(name: string): Election {
  return (lead) => {
    let closed = false;
    void navigator.locks.request(name, () => {
      if (closed) return undefined;
      lead();
      // Held while this tab lives.
      return new Promise<void>(() => {});
    });
    return { probe: () => undefined, close: () => void (closed = true) };
  };
}

type Ballot = { kind: 'claim' | 'leads' | 'resign' | 'who-leads'; id: string };

/** How long a question waits for a leader, and a claim for an older claimant. */
const ANSWER_MS = 400;

/** Leads when no older tab answers on `channelName`. */
export function channelElection(channelName: string): Election {
  return (lead) => {
    const channel = new BroadcastChannel(channelName);
    // Older tabs sort first: the oldest tab that is still open leads.
    const id = `${Date.now().toString(36).padStart(10, '0')}-${Math.random().toString(36).slice(2, 10)}`;
    let leading = false;
    let closed = false;
    let heardLeaderAt = 0;
    /** When an older tab last claimed or led: a claim of this tab within two rounds of it yields. */
    let olderHeardAt = 0;
    let round: ReturnType<typeof setTimeout> | undefined;
    const post = (kind: Ballot['kind']) => !closed && channel.postMessage({ kind, id } satisfies Ballot);
    const claim = () => {
      if (leading || round) return;
      post('claim');
      round = setTimeout(() => {
        round = undefined;
        if (Date.now() - olderHeardAt < ANSWER_MS * 2 || Date.now() - heardLeaderAt < ANSWER_MS * 2) return;
        leading = true;
        post('leads');
        lead();
      }, ANSWER_MS);
    };
    channel.onmessage = (event: MessageEvent<Ballot>) => {
      const ballot = event.data;
      if (typeof ballot !== 'object' || ballot === null || typeof ballot.id !== 'string') return;
      if (ballot.kind === 'who-leads' || (ballot.kind === 'claim' && ballot.id > id)) {
        if (leading) post('leads');
        else if (ballot.kind === 'claim' && !round) claim(); // a younger tab claims: this older one has the better right
      } else if (ballot.kind === 'claim' && ballot.id < id) olderHeardAt = Date.now();
      else if (ballot.kind === 'leads') {
        heardLeaderAt = Date.now();
        if (ballot.id < id) olderHeardAt = Date.now();
        // Two leaders (a frozen tab woke up): the younger steps down, and reloads its state from the older.
        if (leading && ballot.id < id) location.reload();
      } else if (ballot.kind === 'resign') {
        heardLeaderAt = 0;
        olderHeardAt = 0;
        claim();
      }
    };
    globalThis.addEventListener?.('pagehide', () => leading && post('resign'));
    let probing: ReturnType<typeof setTimeout> | undefined;
    const probe = () => {
      if (leading || probing) return;
      const asked = Date.now();
      post('who-leads');
      probing = setTimeout(() => {
        probing = undefined;
        if (heardLeaderAt < asked) claim();
      }, ANSWER_MS);
    };
    probe();
    return {
      probe,
      close: () => {
        if (closed) return;
        if (leading) post('resign');
        closed = true;
        clearTimeout(round);
        clearTimeout(probing);
        leading = false;
        channel.close();
      },
    };
  };
}
