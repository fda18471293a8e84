/**
 * The offline queue: writes to the allowlist that fail with a network error are kept (in
 * workbox-background-sync's queue, without any token) and replayed in order when the
 * network returns, each signed at replay time with the session's current access token,
 * through the broker's one shared refresh.
 */
import { SessionChangedError, StorageFailedError, isAllowedUrl, type DropReason, type QueuedRequest, QUEUED_HEADER, isBrokerError, hasErrorCode, ErrorCode } from '../protocol/index.js';
import type { OfflineQueueDependencies, QueueEntry, QueueNotify, RequestQueue, RunningOfflineQueue } from './offline-queue-options.js';
import { describe, metadataOf, withIdempotencyKey, type EntryMetadata } from './offline-queue-entry.js';
import { sendSigned } from './sealed-signing.js';
import type { SealedToken } from './token-source.js';

export { resolveOfflineQueue, type OfflineQueueOptions, type OfflineQueueSetup, type QueueNotify, type OfflineQueueDependencies } from './offline-queue-options.js';

/** `dropped` events of one reason within this window are told once, with a count (a flood of writes cannot flood every tab). */
const BURST_MS = 250;

export class OfflineQueue implements RunningOfflineQueue {
  readonly #deps: OfflineQueueDependencies;
  readonly #queue: RequestQueue;
  #replaying: Promise<void> | undefined;
  /** Bumped by every clear: a replay that took an entry before a clear never puts it back. */
  #epoch = 0;
  /** Every store and every count goes through this chain, so `maxEntries` holds under any concurrency. */
  #admissions: Promise<unknown> = Promise.resolve();
  /** 1 while a replay holds an entry out of the queue: it still counts against `maxEntries` (it may be put back). */
  #outForReplay = 0;
  /** What this worker knows waits in the queue, by id: what a storage loss took is reported from it. */
  readonly #known = new Map<string, QueuedRequest>();
  #knownLoaded = false;
  /** Drops of one reason waiting to be told as one event. */
  readonly #bursts = new Map<DropReason, { first: QueuedRequest; count: number; reason: string }>();

  constructor(deps: OfflineQueueDependencies) {
    this.#deps = deps;
    const name = deps.options.name ?? `sw-token-broker:${deps.broker.name}`;
    this.#queue = deps.queue(name, () => this.replay());
  }

  /** True when a failed `request` would be kept: an allowlisted URL, a queued method, and the app's `match`. */
  accepts(request: Request): boolean {
    const { methods, match } = this.#deps.options;
    if (!methods.has(request.method.toUpperCase())) return false;
    if (request.mode === 'navigate' || request.mode === 'no-cors') return false;
    if (!isAllowedUrl(request.url, this.#deps.allowlist)) return false;
    try {
      return match ? match(new URL(request.url), request) === true : true;
    } catch {
      return false; // the app's `match` threw: not the queue's to keep; the request goes out as it would
    }
  }

  /**
   * Sends a request the queue accepts: after the requests already waiting (order is kept),
   * with `send`, carrying an idempotency key; a network failure keeps a copy without its
   * credentials and answers `202 Accepted` ({@link QUEUED_HEADER}), unless no session could
   * sign it later, it carries a token, or the queue is full.
   */
  async fetch(request: Request, send: (request: Request) => Promise<Response>): Promise<Response> {
    const keyed = withIdempotencyKey(request, this.#deps.options.idempotencyKey);
    const copy = keyed.request.clone();
    // Writes wait behind the ones already queued, so the server sees them in the order they were made.
    if ((await this.#waiting()) > 0) await this.replayAndSettle();
    // The session it is made in, before it goes out: a login meanwhile must not adopt it.
    const session = await this.#deps.broker.sessionIdentity();
    try {
      return await send(keyed.request);
    } catch (error) {
      const kept = await this.#keep(copy, session, keyed.key);
      if (!kept) throw error;
      return new Response(JSON.stringify({ queued: true, id: kept.id }), {
        status: 202,
        statusText: 'Accepted',
        headers: { 'content-type': 'application/json', [QUEUED_HEADER]: kept.id },
      });
    }
  }

  /** Replays the queue now, in order; joins a replay in flight. Resolves when it stopped (done, offline, or no session). */
  replay(): Promise<void> {
    this.#replaying ??= this.#replayIfAny().finally(() => (this.#replaying = undefined));
    return this.#replaying;
  }

  /**
   * {@link replay}, resolving whatever happens: offline, or without a session, the requests
   * wait for the next trigger (expected, and said by `pending()`); anything else is logged.
   */
  async replayAndSettle(): Promise<void> {
    try {
      await this.replay();
    } catch (error) {
      reportUnexpected(error);
    }
  }

  /** A logout (`logout`), or a login of someone else (`other-user`): every waiting request is dropped, and told. */
  async clear(reason: 'logout' | 'other-user'): Promise<void> {
    // Not waiting for a replay in flight (its request may hang): it must not put an entry back after this.
    this.#epoch++;
    for (let entry = await this.#shift(); entry; entry = await this.#shift()) {
      await this.#report('dropped', entry, { dropReason: reason }, reason === 'logout' ? 'The session was logged out before this request could be replayed' : 'Another user logged in before this request could be replayed');
    }
  }

  /** A login: requests made in another session (another user, or nobody known) are dropped; the new user's own are replayed. */
  async sessionStarted(session: string): Promise<void> {
    if ((await this.#waiting()) === 0) return;
    this.#epoch++;
    const entries: QueueEntry[] = [];
    for (let entry = await this.#shift(); entry; entry = await this.#shift()) entries.push(entry);
    for (const entry of entries) {
      if (metadataOf(entry).session === session) await this.#storage(() => this.#queue.pushRequest(entry)).then(() => this.#remember(entry));
      else await this.#report('dropped', entry, { dropReason: 'other-user' }, 'Another user logged in before this request could be replayed');
    }
    void this.replayAndSettle();
  }

  /** How many requests wait (replayQueue's answer); @throws StorageFailedError when its storage cannot be read (never 0: "nothing waits"). */
  async pending(): Promise<number> {
    try {
      return await this.#storage(() => this.#queue.size());
    } catch (error) {
      throw new StorageFailedError(`The offline queue's storage cannot be read: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  /** {@link pending} for the queue's own choices: unreadable counts as none; the storage step that follows fails and reports it. */
  #waiting(): Promise<number> {
    return this.pending().catch(() => 0);
  }

  /**
   * Runs a storage operation; when the browser closed the storage under it (site data
   * cleared), reconnects, reports what the loss took, and tries once more.
   */
  async #storage<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (!isClosedStorage(error) || !this.#queue.reconnect) throw error;
      this.#queue.reconnect();
      await this.#reportLost();
      return operation();
    }
  }

  /** After a storage loss: every request this worker knew of that is no longer stored is reported dropped (`storage-cleared`), once. */
  async #reportLost(): Promise<void> {
    const present = new Set((await this.#queue.getAll()).map((entry) => metadataOf(entry).id));
    for (const [id, described] of this.#known) {
      if (present.has(id)) continue;
      this.#known.delete(id);
      this.#dropInBurst({ ...described, dropReason: 'storage-cleared' }, "The browser deleted the offline queue's storage (this site's data was cleared) before this request could be replayed");
    }
  }

  async #shift(): Promise<QueueEntry | undefined> {
    const entry = await this.#storage(() => this.#queue.shiftRequest());
    if (entry) this.#known.delete(metadataOf(entry).id);
    return entry;
  }

  #remember(entry: QueueEntry): void {
    const metadata = metadataOf(entry);
    this.#known.set(metadata.id, describe(entry, metadata));
  }

  /** Keeps a copy of a request whose send failed; undefined when it cannot be kept (told to every tab where it matters). */
  async #keep(copy: Request, session: string | null, idempotencyKey: string | undefined): Promise<{ id: string } | undefined> {
    // Nobody is logged in: nothing could sign it later; it fails as the network failed.
    if (session === null) return undefined;
    const id = crypto.randomUUID();
    const timestamp = this.#deps.now();
    const described: QueuedRequest = { id, method: copy.method, url: copy.url, queuedAt: timestamp, ...(idempotencyKey ? { idempotencyKey } : {}) };
    const headers = new Headers(copy.headers);
    for (const name of this.#deps.options.stripHeaders) headers.delete(name);
    // No token is ever stored: a request that carries one the worker holds (in a header the
    // app did not name, or in its body) is not kept.
    const body = await copy.clone().text().catch(() => '');
    const texts: string[] = [body];
    headers.forEach((value) => texts.push(value));
    if (await this.#deps.broker.holdsTokenIn(texts)) {
      await this.#deps.notify('dropped', { ...described, dropReason: 'contains-token' }, 'The request carries a token of the session (in a header or its body): it is not stored. Name the header in stripHeaders, or leave the token out of the body');
      return undefined;
    }
    const tokenless = new Request(copy, { headers });
    const metadata: EntryMetadata = { id, session, attempts: 1, ...(idempotencyKey ? { idempotencyKey } : {}) };
    // One admission at a time: the count and the store are one step, so maxEntries holds under any concurrency.
    const admitted = this.#admissions.then(async () => {
      await this.#loadKnown();
      if ((await this.#waiting()) + this.#outForReplay >= this.#deps.options.maxEntries) return false;
      const entry = { request: tokenless, timestamp, metadata };
      await this.#storage(() => this.#queue.pushRequest(entry));
      this.#remember(entry);
      return true;
    });
    // The chain only orders admissions: a failed one rejects `admitted` below for its own request, and must not stop the next.
    this.#admissions = admitted.catch(() => undefined);
    const fits = await admitted.catch(async (error: unknown) => {
      // The write fails as offline (the caller rethrows its network error); every tab is told why it was not kept.
      await this.#deps.notify('dropped', { ...described, dropReason: 'storage-failed' }, `The offline queue could not store this request: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    });
    if (fits === undefined) return undefined;
    if (!fits) {
      this.#dropInBurst({ ...described, dropReason: 'full' }, `The offline queue is full (${this.#deps.options.maxEntries} requests): not kept`);
      return undefined;
    }
    await this.#deps.notify('queued', described);
    return { id };
  }

  /** Reads what the queue holds once per worker life, so a loss of entries a previous worker stored is reported too. */
  async #loadKnown(): Promise<void> {
    if (this.#knownLoaded) return;
    this.#knownLoaded = true;
    for (const entry of await this.#storage(() => this.#queue.getAll())) this.#remember(entry);
  }

  /** Tells every tab about drops of one reason once per burst, with how many. */
  #dropInBurst(request: QueuedRequest, reason: string): void {
    const dropReason = request.dropReason!;
    const burst = this.#bursts.get(dropReason);
    if (burst) {
      burst.count++;
      return;
    }
    this.#bursts.set(dropReason, { first: request, count: 1, reason });
    setTimeout(() => {
      const done = this.#bursts.get(dropReason)!;
      this.#bursts.delete(dropReason);
      const more = done.count > 1 ? ` (${done.count} requests; the event names the first)` : '';
      void this.#deps.notify('dropped', { ...done.first, count: done.count }, `${done.reason}${more}`).catch(reportUnexpected);
    }, BURST_MS);
  }

  async #replayIfAny(): Promise<void> {
    await this.#loadKnown();
    if ((await this.#waiting()) > 0) await this.#replayAll();
  }

  async #replayAll(): Promise<void> {
    for (;;) {
      this.#outForReplay = 1;
      try {
        if (!(await this.#replayNext())) return;
      } finally {
        this.#outForReplay = 0;
      }
    }
  }

  /** Replays the oldest request; false when there was none, or the replay must stop (no session). */
  async #replayNext(): Promise<boolean> {
    const epoch = this.#epoch;
    const entry = await this.#shift();
    if (!entry) return false;
    const metadata = metadataOf(entry);
    if (this.#deps.now() - (entry.timestamp ?? 0) > this.#deps.options.maxRetentionMs) {
      await this.#report('dropped', entry, { dropReason: 'expired' }, 'The request waited longer than the offline queue keeps requests (maxRetentionTime)');
      return true;
    }
    const attempt = { sent: false };
    let response: Response;
    try {
      response = await this.#sendWithToken(entry.request, metadata.session, attempt);
    } catch (error) {
      // Rule 11: the session it was made in was replaced (another login): never sent with the new one's token.
      if (hasErrorCode(error, ErrorCode.SessionChanged)) {
        await this.#report('dropped', entry, { dropReason: 'other-user' }, 'Another session (a login) replaced the one this request was made in: it is not sent with its token');
        return true;
      }
      if (epoch !== this.#epoch) {
        await this.#report('dropped', entry, { dropReason: 'logout' }, 'The session ended before this request could be replayed');
        return false;
      }
      // Offline, no session (yet), or the token endpoint down: it waits for the next replay, first in line.
      const next = attempt.sent ? { ...entry, metadata: { ...metadata, attempts: metadata.attempts + 1 } } : entry;
      await this.#storage(() => this.#queue.unshiftRequest(next));
      this.#remember(next);
      // Sent, and no answer: the server may have applied it. Said once per request (the first
      // replay that got no answer; offline, every replay attempt does), not hidden; the next send carries the same key.
      if (attempt.sent && metadata.attempts === 1) {
        const keyNote = metadata.idempotencyKey ? 'with the same idempotency key' : 'without an idempotency key: it may arrive twice';
        await this.#report('requeued', next, {}, `The replay was sent but no answer came; it is sent again ${keyNote}`);
      }
      if (isBrokerError(error) && (error.code === ErrorCode.NotLoggedIn || error.code === ErrorCode.SessionEnded)) return false;
      throw error;
    }
    if (response.ok || (response.status >= 300 && response.status < 400) || response.type === 'opaqueredirect') {
      await this.#report('replayed', entry, { status: response.status, attempts: metadata.attempts + 1 });
    } else {
      await this.#report('dropped', entry, { status: response.status, dropReason: 'rejected' }, `The server answered the replayed request with ${response.status}`);
    }
    return true;
  }

  /**
   * Signs with the current token of the request's own session (a due one is refreshed first,
   * once for everyone); a 401 refreshes and retries once.
   *
   * @throws SessionChangedError when the session it was made in is no longer the stored one.
   */
  async #sendWithToken(request: Request, session: string | null, attempt: { sent: boolean }): Promise<Response> {
    const { broker, fetch: fetchFn, dpopFetch } = this.#deps;
    const ownToken = async (): Promise<SealedToken> => {
      const token = await broker.sealedToken(request.url);
      if (session === null || token.session !== session) throw new SessionChangedError();
      return token;
    };
    const token = await ownToken();
    attempt.sent = true;
    const response = await sendSigned(request.clone(), token, fetchFn, dpopFetch);
    if (response.status !== 401) return response;
    attempt.sent = false;
    await broker.refresh({ failedGeneration: token.generation, session: session ?? undefined, url: request.url });
    const next = await ownToken();
    attempt.sent = true;
    return sendSigned(request.clone(), next, fetchFn, dpopFetch);
  }

  async #report(event: 'requeued' | 'replayed' | 'dropped', entry: QueueEntry, extra: Partial<QueuedRequest>, reason?: string): Promise<void> {
    const metadata = metadataOf(entry);
    if (event !== 'requeued') this.#known.delete(metadata.id);
    await this.#deps.notify(event, { ...describe(entry, metadata), ...extra }, reason);
  }
}

/** An IndexedDB operation that failed because the browser closed the connection (the database was deleted). */
function isClosedStorage(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'InvalidStateError' || name === 'UnknownError' || name === 'AbortError';
}

/**
 * A replay stops on a network failure (a `TypeError` from fetch) or a broker error (no
 * session, the token endpoint down): the requests wait, nothing to report. Anything else is a
 * bug worth seeing in the worker's console.
 */
export function reportUnexpected(error: unknown): void {
  if (error instanceof TypeError || isBrokerError(error)) return;
  console.error('sw-token-broker: the offline queue replay failed unexpectedly; the requests wait for the next replay', error);
}
