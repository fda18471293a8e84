/**
 * The offline queue: writes to the allowlist that fail with a network error are kept (in
 * workbox-background-sync's queue, without any token) and replayed in order when the
 * network returns, each signed at replay time with the session's current access token,
 * through the broker's one shared refresh.
 */
import { isAllowedUrl, type AllowlistEntry, type BrokerEventType, type QueuedRequest, QUEUED_HEADER, isBrokerError, ErrorCode } from '../protocol/index.js';
import type { TokenBroker } from './broker.js';
import { sendSigned, type SealedToken } from './sealed-signing.js';
import type { DpopFetch } from './adapters/types.js';

/** `installTokenBroker({ offlineQueue })`: which failed requests to keep, and for how long. */
export interface OfflineQueueOptions {
  /** Methods that queue (default POST, PUT, PATCH, DELETE: writes; a GET is the app's cache's business). */
  methods?: readonly string[];
  /** Narrows further: only requests for which this returns true queue (default: every allowlisted request of those methods). */
  match?: (url: URL, request: Request) => boolean;
  /** Minutes a request may wait; older ones are dropped (`expired`), not replayed. Default 24 h (Workbox's unit). */
  maxRetentionTime?: number;
  /** At most this many requests wait; one more is not queued (`dropped` with `full`) and fails as offline. Default 50. */
  maxEntries?: number;
  /** The Workbox queue's name (default `sw-token-broker:<broker name>`); one queue per name per worker. */
  name?: string;
}

export interface ResolvedOfflineQueueOptions {
  queue: OfflineQueueSetup['queue'];
  methods: ReadonlySet<string>;
  match: ((url: URL, request: Request) => boolean) | undefined;
  maxRetentionMs: number;
  maxEntries: number;
  name: string | undefined;
}

/** What the worker keeps with each queued request: who made it, never a token. */
interface EntryMetadata {
  id: string;
  /** The session's subject when it was queued; a login of someone else drops it. */
  subject: string | null;
}

interface QueueEntry {
  request: Request;
  timestamp?: number;
  metadata?: object;
}

/** The part of workbox-background-sync's `Queue` the broker uses. */
export interface RequestQueue {
  pushRequest(entry: QueueEntry): Promise<void>;
  unshiftRequest(entry: QueueEntry): Promise<void>;
  shiftRequest(): Promise<QueueEntry | undefined>;
  size(): Promise<number>;
}

/** Builds the queue; `onSync` is called on the `sync` event (or at worker start where Background Sync is missing). */
export type RequestQueueFactory = (name: string, onSync: () => Promise<void>) => RequestQueue;

/** What `backgroundSyncQueue(options)` gives `installTokenBroker({ offlineQueue })`. */
export interface OfflineQueueSetup {
  readonly kind: 'offline-queue';
  readonly options: OfflineQueueOptions;
  queue(scope: ServiceWorkerGlobalScope, name: string, onSync: () => Promise<void>): RequestQueue;
}

export type QueueNotify = (event: Extract<BrokerEventType, 'queued' | 'replayed' | 'dropped'>, request: QueuedRequest, reason?: string) => Promise<void>;

const DEFAULT_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'];
/** Headers a queued copy never keeps: the credentials are added again at replay. */
const CREDENTIAL_HEADERS = ['authorization', 'dpop'];

/** @throws {TypeError} on a bad option. */
export function resolveOfflineQueue(setup: OfflineQueueSetup | undefined): ResolvedOfflineQueueOptions | undefined {
  if (setup === undefined) return undefined;
  if (typeof setup !== 'object' || setup === null || setup.kind !== 'offline-queue' || typeof setup.queue !== 'function') {
    throw new TypeError("config.offlineQueue must be backgroundSyncQueue(options), from 'sw-token-broker/sw'");
  }
  const given = setup.options;
  if (typeof given !== 'object' || given === null) throw new TypeError('backgroundSyncQueue(options): options must be an object');
  const methods = given.methods ?? DEFAULT_METHODS;
  if (!Array.isArray(methods) || methods.some((method) => typeof method !== 'string' || !/^[A-Za-z]+$/.test(method))) {
    throw new TypeError('backgroundSyncQueue: methods must be an array of HTTP method names');
  }
  if (given.match !== undefined && typeof given.match !== 'function') throw new TypeError('backgroundSyncQueue: match must be a function (url, request) => boolean');
  const minutes = given.maxRetentionTime ?? 24 * 60;
  if (!Number.isFinite(minutes) || minutes <= 0) throw new TypeError('backgroundSyncQueue: maxRetentionTime must be a number of minutes > 0');
  const maxEntries = given.maxEntries ?? 50;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new TypeError('backgroundSyncQueue: maxEntries must be an integer >= 1');
  if (given.name !== undefined && (typeof given.name !== 'string' || given.name === '')) throw new TypeError('backgroundSyncQueue: name must be a non-empty string');
  return { queue: setup.queue, methods: new Set(methods.map((method) => method.toUpperCase())), match: given.match, maxRetentionMs: minutes * 60_000, maxEntries, name: given.name };
}

export interface OfflineQueueDependencies {
  options: ResolvedOfflineQueueOptions;
  allowlist: readonly AllowlistEntry[];
  broker: TokenBroker;
  queue: RequestQueueFactory;
  notify: QueueNotify;
  fetch: typeof fetch;
  dpopFetch?: DpopFetch;
  now: () => number;
}

export class OfflineQueue {
  readonly #deps: OfflineQueueDependencies;
  readonly #queue: RequestQueue;
  #replaying: Promise<void> | undefined;
  /** Bumped by every clear: a replay that took an entry before a clear never puts it back. */
  #epoch = 0;

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
      return false;
    }
  }

  /**
   * Sends a request the queue accepts: after the requests already waiting (order is kept),
   * with `send`; a network failure keeps a copy without its credentials and answers
   * `202 Accepted` ({@link QUEUED_HEADER}), unless no session could sign it later, or the queue is full.
   */
  async fetch(request: Request, send: (request: Request) => Promise<Response>): Promise<Response> {
    const copy = request.clone();
    // Writes wait behind the ones already queued, so the server sees them in the order they were made.
    if ((await this.pending()) > 0) await this.replayAndSettle();
    try {
      return await send(request);
    } catch (error) {
      const kept = await this.#keep(copy);
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


  /** A logout: every waiting request is dropped (`logout`). */
  async clear(reason: 'logout' | 'other-user'): Promise<void> {
    // Not waiting for a replay in flight (its request may hang): it must not put an entry back after this.
    this.#epoch++;
    for (let entry = await this.#queue.shiftRequest(); entry; entry = await this.#queue.shiftRequest()) {
      await this.#report('dropped', entry, { dropReason: reason }, reason === 'logout' ? 'The session was logged out before this request could be replayed' : 'Another user logged in before this request could be replayed');
    }
  }

  /** A login: requests another user (or nobody known) made are dropped; the new user's own are replayed. */
  async sessionStarted(subject: string | undefined): Promise<void> {
    if ((await this.pending()) === 0) return;
    this.#epoch++;
    const entries: QueueEntry[] = [];
    for (let entry = await this.#queue.shiftRequest(); entry; entry = await this.#queue.shiftRequest()) entries.push(entry);
    for (const entry of entries) {
      const made = metadataOf(entry).subject;
      if (subject !== undefined && made === subject) await this.#queue.pushRequest(entry);
      else await this.#report('dropped', entry, { dropReason: 'other-user' }, 'Another user logged in before this request could be replayed');
    }
    void this.replayAndSettle();
  }

  /** How many requests wait (replayQueue's answer); 0 when the queue's storage cannot be read. */
  async pending(): Promise<number> {
    try {
      return await this.#queue.size();
    } catch {
      return 0;
    }
  }

  async #keep(copy: Request): Promise<{ id: string } | undefined> {
    const subject = await this.#deps.broker.sessionSubject();
    // Nobody is logged in: nothing could sign it later; it fails as the network failed.
    if (subject === null) return undefined;
    const id = crypto.randomUUID();
    const timestamp = this.#deps.now();
    const described: QueuedRequest = { id, method: copy.method, url: copy.url, queuedAt: timestamp };
    if ((await this.pending()) >= this.#deps.options.maxEntries) {
      await this.#deps.notify('dropped', { ...described, dropReason: 'full' }, `The offline queue is full (${this.#deps.options.maxEntries} requests): this one was not kept`);
      return undefined;
    }
    const headers = new Headers(copy.headers);
    for (const name of CREDENTIAL_HEADERS) headers.delete(name);
    const tokenless = new Request(copy, { headers });
    const metadata: EntryMetadata = { id, subject: subject ?? null };
    await this.#queue.pushRequest({ request: tokenless, timestamp, metadata });
    await this.#deps.notify('queued', described);
    return { id };
  }

  async #replayIfAny(): Promise<void> {
    if ((await this.pending()) > 0) await this.#replayAll();
  }

  async #replayAll(): Promise<void> {
    for (;;) {
      const epoch = this.#epoch;
      const entry = await this.#queue.shiftRequest();
      if (!entry) return;
      if (this.#deps.now() - (entry.timestamp ?? 0) > this.#deps.options.maxRetentionMs) {
        await this.#report('dropped', entry, { dropReason: 'expired' }, 'The request waited longer than the offline queue keeps requests (maxRetentionTime)');
        continue;
      }
      let response: Response;
      try {
        response = await this.#sendWithToken(entry.request);
      } catch (error) {
        // Offline, no session (yet), or the token endpoint down: it waits for the next replay, first in line.
        if (epoch === this.#epoch) await this.#queue.unshiftRequest(entry);
        else await this.#report('dropped', entry, { dropReason: 'logout' }, 'The session ended before this request could be replayed');
        if (isBrokerError(error) && (error.code === ErrorCode.NotLoggedIn || error.code === ErrorCode.SessionEnded)) return;
        throw error;
      }
      if (response.ok || (response.status >= 300 && response.status < 400) || response.type === 'opaqueredirect') {
        await this.#report('replayed', entry, { status: response.status });
      } else {
        await this.#report('dropped', entry, { status: response.status, dropReason: 'rejected' }, `The server answered the replayed request with ${response.status}`);
      }
    }
  }

  /** Signs with the current token (a due one is refreshed first, once for everyone); a 401 refreshes and retries once. */
  async #sendWithToken(request: Request): Promise<Response> {
    const { broker, fetch: fetchFn, dpopFetch } = this.#deps;
    const token: SealedToken = await broker.sealedToken();
    const response = await sendSigned(request.clone(), token, fetchFn, dpopFetch);
    if (response.status !== 401) return response;
    await broker.refresh({ failedGeneration: token.generation });
    return sendSigned(request.clone(), await broker.sealedToken(), fetchFn, dpopFetch);
  }

  async #report(event: 'replayed' | 'dropped', entry: QueueEntry, extra: Partial<QueuedRequest>, reason?: string): Promise<void> {
    const { id } = metadataOf(entry);
    await this.#deps.notify(event, { id, method: entry.request.method, url: entry.request.url, queuedAt: entry.timestamp ?? 0, ...extra }, reason);
  }
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

function metadataOf(entry: QueueEntry): EntryMetadata {
  const metadata = entry.metadata as Partial<EntryMetadata> | undefined;
  return { id: typeof metadata?.id === 'string' ? metadata.id : 'unknown', subject: typeof metadata?.subject === 'string' ? metadata.subject : null };
}
