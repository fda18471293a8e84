/// <reference lib="webworker" />
/**
 * The offline demo's worker: handoff mode, like the main demo's, plus the offline queue:
 * writes to this origin's /api/ that fail offline are kept without their token and replayed
 * with a fresh one. Its own name and scope, so its session is kept apart.
 *
 * A page of its own rather than the main demo's worker: a worker with a fetch listener makes
 * Chromium's update race (sw/take-over.ts) far more likely when a version activates mid-refresh,
 * which the main demo's update test is about (docs/recipes.md).
 */
import { backgroundSyncQueue, installTokenBroker, jsonEndpoint } from '../../sw/index.js';

declare const self: ServiceWorkerGlobalScope;

installTokenBroker({
  name: 'demo-offline',
  endpoint: jsonEndpoint({ loginUrl: '/auth/login', refreshUrl: '/auth/refresh', logoutUrl: '/auth/logout' }),
  apiAllowlist: [`${self.location.origin}/api/`],
  // An app's own key header is never stored with a queued write (docs/recipes.md).
  offlineQueue: backgroundSyncQueue({ maxEntries: 20, stripHeaders: ['X-Api-Key'] }),
  skipWaiting: true,
  ownsAllMessages: true,
});
