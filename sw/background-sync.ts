/** The offline queue's storage and trigger: workbox-background-sync's `Queue`. */
import { Queue } from 'workbox-background-sync';
import { reportUnexpected, type OfflineQueueOptions, type OfflineQueueSetup } from './offline-queue.js';

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
      return new Queue(name, {
        // The broker checks the age itself, to report what it drops: Workbox's limit is set out of the way.
        maxRetentionTime: Number.MAX_SAFE_INTEGER,
        // On a sync event a failure makes the browser try again later; at a worker start nobody waits for it.
        onSync: hasSync ? onSync : () => onSync().catch(reportUnexpected),
      });
    },
  };
}
