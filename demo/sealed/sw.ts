/// <reference lib="webworker" />
/**
 * The sealed demo's worker: same mock server, but the worker adds the token to requests
 * for this origin's /api/ itself, and pages never receive one. Its own name, so its
 * session is kept apart from the handoff demo's.
 */
import { backgroundSyncQueue, installTokenBroker, jsonEndpoint } from '../../sw/index.js';

declare const self: ServiceWorkerGlobalScope;

installTokenBroker({
  name: 'demo-sealed',
  mode: 'sealed',
  endpoint: jsonEndpoint({ loginUrl: '/auth/login', refreshUrl: '/auth/refresh', logoutUrl: '/auth/logout' }),
  apiAllowlist: [`${self.location.origin}/api/`],
  // Writes to /api/ made offline are kept and replayed with a fresh token (the demo's offline panel).
  // An app's own key header is never stored with a queued write (docs/recipes.md).
  offlineQueue: backgroundSyncQueue({ maxEntries: 20, stripHeaders: ['X-Api-Key'] }),
  skipWaiting: true,
  ownsAllMessages: true,
});
