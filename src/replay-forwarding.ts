/**
 * Firefox and WebKit have no Background Sync: a page whose worker keeps an offline queue tells
 * it when the network is back (its `online` event), and asks again while requests still wait.
 */
export class ReplayForwarding {
  readonly #replay: () => Promise<{ pending: number }>;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  readonly #onOnline = () => this.#soon(0);

  /** @param replay asks the worker to replay its queue (`BrokerClient.replayQueue`). */
  constructor(replay: () => Promise<{ pending: number }>) {
    this.#replay = replay;
  }

  /** Forwards `online` from now on; replays at once when requests wait from an earlier visit. */
  start(pendingNow: number): void {
    globalThis.addEventListener?.('online', this.#onOnline);
    if (pendingNow > 0) this.#onOnline();
  }

  stop(): void {
    this.#stopped = true;
    globalThis.removeEventListener?.('online', this.#onOnline);
    clearTimeout(this.#retry);
  }

  /**
   * Asks the worker to replay; while requests still wait (`online` comes before the network is
   * usable, or the worker's own network is not back yet), asks again after 1, 2, 4, 8 and 16 s,
   * then leaves it to the next trigger.
   */
  #soon(attempt: number): void {
    clearTimeout(this.#retry);
    void this.#replay().then(
      ({ pending }) => {
        if (pending > 0 && attempt < 5 && !this.#stopped) this.#retry = setTimeout(() => this.#soon(attempt + 1), 1000 * 2 ** attempt);
      },
      // A worker that cannot answer now (stopped, gone: the client reports that on its own calls): the next `online` asks again.
      () => undefined,
    );
  }
}
