/** The offline queue's storage and trigger: workbox-background-sync's `Queue`. */
import { Queue } from 'workbox-background-sync';
import type { OfflineQueueOptions, OfflineQueueSetup } from './offline-queue-options.js';
import { OfflineQueue, reportUnexpected } from './offline-queue.js';

/**
 * The offline queue for `installTokenBroker({ offlineQueue })`, on workbox-background-sync:
 * its `Queue` stores the requests in IndexedDB and calls the replay on the Background Sync
 * `sync` event (Chromium), or once at every worker start where that API is missing (Firefox,
 * WebKit; pages also forward their `online` event). A function, not a flag, so a worker
 * without it does not bundle Workbox's queue. Options are checked by `installTokenBroker`.
 *
 * @example
 * installTokenBroker({ endpoint, apiAllowlist: ['https://api.example.com'], offlineQueue: backgroundSyncQueue({ maxEntries: 20 }) });
 */
export function backgroundSyncQueue(options: OfflineQueueOptions = {}): OfflineQueueSetup {
  return {
    kind: 'offline-queue',
    options,
    queue(scope, name, onSync) {
      const hasSync = typeof scope.registration === 'object' && scope.registration !== null && 'sync' in scope.registration;
      const queue = new Queue(name, {
        // The broker checks the age itself, to report what it drops: Workbox's limit is set out of the way.
        maxRetentionTime: Number.MAX_SAFE_INTEGER,
        // On a sync event a failure makes the browser try again later; at a worker start nobody waits for it.
        onSync: hasSync ? onSync : () => onSync().catch(reportUnexpected),
      });
      return Object.assign(queue, { reconnect: () => dropConnection(queue) });
    },
    start: (deps) => new OfflineQueue(deps),
  };
}

/**
 * Workbox keeps its IndexedDB connection for the worker's life and never reopens it: once the
 * browser closed it (site data cleared), every operation throws until the worker restarts.
 * Forgetting the connection makes the next operation open a fresh one. This reaches into
 * Workbox's private fields (`_queueStore._queueDb._db`, workbox-background-sync 7.4, bundled
 * at that version); the unit test `the offline queue reconnects ...` fails if they move.
 */
function dropConnection(queue: Queue): void {
  const db = (queue as unknown as { _queueStore?: { _queueDb?: { _db?: unknown } } })._queueStore?._queueDb;
  if (db && '_db' in db) db._db = null;
}
