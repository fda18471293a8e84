/**
 * The offline queue's options and the storage it needs, apart from its runtime, so the
 * worker's config can check them without importing the queue (or the broker it signs with).
 * The queue itself comes with `backgroundSyncQueue()` (`start`): a worker without one does not
 * load its code (a smaller script is a faster cold start).
 */
import type { AllowlistEntry, BrokerEventType, QueuedRequest } from '../protocol/index.js';
import type { DpopFetch } from './adapters/types.js';
import type { QueueSession } from './token-source.js';

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
  /**
   * The header that carries each queued write's idempotency key (draft-ietf-httpapi-idempotency-key-header),
   * set when the write is first sent and kept across replays, so a server that honours it
   * applies each write once even when an answer was lost. Default `Idempotency-Key`; a key
   * the app set itself is kept as it is. `false`: none (for a cross-origin API whose CORS
   * does not allow the header); then a write whose answer was lost may arrive twice.
   */
  idempotencyKey?: string | false;
  /** Headers removed before a request is stored (for example `['X-Api-Key']`); `Authorization` and `DPoP` always are. */
  stripHeaders?: readonly string[];
}

export interface ResolvedOfflineQueueOptions {
  queue: OfflineQueueSetup['queue'];
  start: OfflineQueueSetup['start'];
  methods: ReadonlySet<string>;
  match: ((url: URL, request: Request) => boolean) | undefined;
  maxRetentionMs: number;
  maxEntries: number;
  name: string | undefined;
  idempotencyKey: string | undefined;
  stripHeaders: readonly string[];
}

/** A request as the queue stores it: workbox-background-sync's `QueueEntry`. */
export interface QueueEntry {
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
  /** The waiting entries, oldest first (to find out what a storage loss took). */
  getAll(): Promise<QueueEntry[]>;
  /**
   * Called when an operation failed because the browser closed the storage under it (site
   * data cleared): reconnects, so the queue works again without a worker restart.
   */
  reconnect?(): void;
}

/** Builds the queue; `onSync` is called on the `sync` event (or at worker start where Background Sync is missing). */
export type RequestQueueFactory = (name: string, onSync: () => Promise<void>) => RequestQueue;

/** What the queue reads of the worker's global scope (`self`): its registration, to tell whether Background Sync exists. */
export interface QueueScope {
  readonly registration?: object | null;
}

/** What `backgroundSyncQueue(options)` gives `installTokenBroker({ offlineQueue })`. */
export interface OfflineQueueSetup {
  readonly kind: 'offline-queue';
  readonly options: OfflineQueueOptions;
  queue(scope: QueueScope, name: string, onSync: () => Promise<void>): RequestQueue;
  /** The queue's runtime (`offline-queue.ts`), brought by this setup so that only workers with one load it. */
  start(deps: OfflineQueueDependencies): RunningOfflineQueue;
}

/** Tells every tab what became of a write: queued, queued again, replayed, or dropped (with why). */
export type QueueNotify = (event: Extract<BrokerEventType, 'queued' | 'requeued' | 'replayed' | 'dropped'>, request: QueuedRequest, reason?: string) => Promise<void>;

/** What the running queue works with. */
export interface OfflineQueueDependencies {
  options: ResolvedOfflineQueueOptions;
  allowlist: readonly AllowlistEntry[];
  broker: QueueSession;
  queue: RequestQueueFactory;
  notify: QueueNotify;
  fetch: typeof fetch;
  dpopFetch?: DpopFetch;
  now: () => number;
}

/** The running queue as the worker around the broker uses it (`OfflineQueue` in `offline-queue.ts`). */
export interface RunningOfflineQueue {
  /** True for a request the queue keeps when it cannot be sent: an allowlisted write. */
  accepts(request: Request): boolean;
  /** Sends `request` through `send`; offline, keeps it and answers 202. */
  fetch(request: Request, send: (request: Request) => Promise<Response>): Promise<Response>;
  /** Replays what waits (one replay at a time). */
  replay(): Promise<void>;
  /** Replays, and resolves once that replay and any running one ended. */
  replayAndSettle(): Promise<void>;
  /** Drops everything: the session it was made in ended. */
  clear(reason: 'logout' | 'other-user'): Promise<void>;
  /** A login: drops what another user's session made. */
  sessionStarted(session: string): Promise<void>;
  /** How many requests wait. */
  pending(): Promise<number>;
}


const DEFAULT_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'];
/** Headers a queued copy never keeps: the credentials are added again at replay. */
const CREDENTIAL_HEADERS = ['authorization', 'dpop'];

/** @throws {TypeError} on a bad option. */
export function resolveOfflineQueue(setup: OfflineQueueSetup | undefined): ResolvedOfflineQueueOptions | undefined {
  if (setup === undefined) return undefined;
  if (typeof setup !== 'object' || setup === null || setup.kind !== 'offline-queue' || typeof setup.queue !== 'function' || typeof setup.start !== 'function') {
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
  const key = given.idempotencyKey ?? 'Idempotency-Key';
  if (key !== false && (typeof key !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key))) {
    throw new TypeError('backgroundSyncQueue: idempotencyKey must be a header name, or false');
  }
  const strip = given.stripHeaders ?? [];
  if (!Array.isArray(strip) || strip.some((header) => typeof header !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header))) {
    throw new TypeError('backgroundSyncQueue: stripHeaders must be an array of header names');
  }
  return {
    queue: setup.queue,
    start: setup.start,
    methods: new Set(methods.map((method) => method.toUpperCase())),
    match: given.match,
    maxRetentionMs: minutes * 60_000,
    maxEntries,
    name: given.name,
    idempotencyKey: key === false ? undefined : key,
    stripHeaders: [...CREDENTIAL_HEADERS, ...strip.map((header) => header.toLowerCase())],
  };
}

