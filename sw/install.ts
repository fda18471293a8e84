/** Wires the broker into a service worker's events. */
import { MisconfiguredError, PROTOCOL, PROTOCOL_VERSION, type BrokerEvent } from '../protocol/index.js';
import type { TokenBroker, Notify } from './broker.js';
import { assembleBroker } from './broker-assembly.js';
import { resolveConfig, type ResolvedTokenBrokerConfig, type TokenBrokerConfig } from './config.js';
import { loginCallback } from './login-callback.js';
import { errorReply, handleMessage, sendReply, type ReplyTarget } from './message-handler.js';
import { shouldSign, signedFetch } from './sealed-signing.js';
import type { QueueNotify, RunningOfflineQueue } from './offline-queue-options.js';
import { indexedDbStore, memoryStore } from './store.js';
import { askWaitingVersionToTakeOver, isFromServiceWorker, isTakeOver } from './take-over.js';

/** What `installTokenBroker` returns: the broker, for the worker's own code, and a way to remove it. */
export interface InstalledTokenBroker {
  readonly broker: TokenBroker;
  readonly config: ResolvedTokenBrokerConfig;
  /** Removes the event listeners this call added. */
  uninstall(): void;
  /**
   * Answers `event` if it is the broker's (a sealed-mode API request, or the login
   * callback) and returns true; else returns false and leaves it alone. For workers that
   * route fetches themselves.
   */
  handleFetch(event: FetchEvent): boolean;
  /** The offline queue, when `offlineQueue` is configured: `replay()` it from your own code (for example a periodic sync). */
  readonly offlineQueue: Pick<RunningOfflineQueue, 'replay' | 'pending'> | undefined;
}

/**
 * Adds the token broker to a service worker: message handling, broadcasts to every tab,
 * and `clients.claim()` on activation. Call it once, in the worker's first synchronous
 * run (browsers only dispatch to listeners added then).
 *
 * An invalid config (or an adapter built from invalid options) does not throw, which would
 * fail the worker script and leave pages with a bare registration error: the worker logs
 * the mistake and answers every broker message with a `misconfigured` error that says what
 * to fix. `broker` and `config` of the result then throw that `TypeError`.
 *
 * @param config fixed in the worker's code; see {@link TokenBrokerConfig}.
 * @param scope the worker's global scope (default `self`).
 * @example
 * installTokenBroker({
 *   endpoint: oauth2Endpoint({ tokenEndpoint: 'https://id.example.com/oauth/token', clientId: 'spa' }),
 *   apiAllowlist: ['https://api.example.com'],
 * });
 */
export function installTokenBroker(config: TokenBrokerConfig, scope: ServiceWorkerGlobalScope = self as unknown as ServiceWorkerGlobalScope): InstalledTokenBroker {
  let resolved: ResolvedTokenBrokerConfig;
  let name: string;
  try {
    resolved = resolveConfig(config);
    name = config.name ?? scope.registration?.scope ?? 'default';
    if (typeof name !== 'string' || name === '') throw new TypeError('config.name must be a non-empty string');
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return installMisconfigured(error, scope);
  }
  const store = config.store ?? (resolved.storage === 'memory' ? memoryStore() : indexedDbStore(name));

  /** Tells every tab of the origin, controlled or not. */
  const broadcast = async (message: BrokerEvent) => {
    const clients = await scope.clients.matchAll({ type: 'window', includeUncontrolled: true });
    for (const client of clients) client.postMessage(message);
  };
  const notify: Notify = (event, status, reason, details) => broadcast({ protocol: PROTOCOL, v: PROTOCOL_VERSION, broker: name, event, status, reason, details });


  let offlineQueue: RunningOfflineQueue | undefined;
  const { broker, userinfo, fetch: fetchFn } = assembleBroker(resolved, config, name, store, notify, async (change) => {
    if (change.kind === 'logout') await offlineQueue?.clear('logout');
    else await offlineQueue?.sessionStarted(change.session);
  });
  if (resolved.offlineQueue) {
    const notifyQueue: QueueNotify = async (event, request, reason) =>
      broadcast({ protocol: PROTOCOL, v: PROTOCOL_VERSION, broker: name, event, status: await broker.status(), reason, request });
    // The queue's code comes with backgroundSyncQueue(): a worker without one does not load it.
    offlineQueue = resolved.offlineQueue.start({
      options: resolved.offlineQueue,
      allowlist: resolved.allowlist,
      broker,
      queue: (queueName, onSync) => resolved.offlineQueue!.queue(scope, queueName, onSync),
      notify: notifyQueue,
      fetch: fetchFn,
      dpopFetch: resolved.endpoint.dpopFetch,
      now: Date.now,
    });
  }
  const readUserinfo = () => userinfo.read();
  const replayQueue = async () => {
    if (!offlineQueue) return 0;
    await offlineQueue.replayAndSettle();
    return offlineQueue.pending();
  };

  // The ping must answer even when the queue's storage cannot be read. It then says 0 (no replay
  // asked at connect); `replayQueue` answers the typed storage-failed. Saying 1 made Firefox pages
  // start a replay at every connect, racing their own writes: in Firefox the count is sometimes
  // unreadable right after the worker starts (seen in tests/engines; cause not found).
  const queuePendingForPing = () => offlineQueue!.pending().catch(() => 0);

  const claim = async () => {
    await scope.clients.claim();
    return true;
  };
  const onMessage = (event: ExtendableMessageEvent) => {
    if (isFromServiceWorker(event)) {
      // Another version of this worker, never a page: only the take-over nudge is read.
      if (resolved.skipWaiting && isTakeOver(event.data)) event.waitUntil(scope.skipWaiting());
      return;
    }
    const done = handleMessage(broker, resolved, event.data, replyTargetOf(event), { claim, replayQueue, queuePending: offlineQueue && queuePendingForPing, userinfo: readUserinfo });
    // Keeps the worker alive until the reply is sent and any refresh behind it has stored
    // its answer, even one whose callers stopped waiting.
    if (done) event.waitUntil(done.then(() => broker.whenIdle()));
  };
  const onInstall = (event: ExtendableEvent) => {
    if (resolved.skipWaiting) event.waitUntil(scope.skipWaiting());
  };
  const onActivate = (event: ExtendableEvent) => {
    const claimed = resolved.clientsClaim ? scope.clients.claim() : Promise.resolve();
    // A version that installed while this one was activating may wait for minutes in Chromium (take-over.ts).
    event.waitUntil(claimed.then(() => resolved.skipWaiting && askWaitingVersionToTakeOver(scope)));
  };

  const scopePath = new URL(scope.registration?.scope ?? '/', 'http://x').pathname;
  const answerCallback = loginCallback(broker, resolved.endpoint.redirectLogin?.callbackUrl, scopePath);
  const handleFetch = (event: FetchEvent): boolean => {
    const { request } = event;
    const callbackAnswer = answerCallback?.(request);
    if (callbackAnswer) {
      event.respondWith(callbackAnswer);
      return true;
    }
    const signs = resolved.mode === 'sealed' && shouldSign(request, resolved.allowlist);
    const queues = offlineQueue?.accepts(request) === true;
    if (!signs && !queues) return false;
    const send = (outgoing: Request) => (signs ? signedFetch(outgoing, broker, fetchFn, resolved.endpoint.dpopFetch) : fetchFn(outgoing));
    const response = queues ? offlineQueue!.fetch(request, send) : send(request);
    event.respondWith(response);
    event.waitUntil(response.then(
      () => broker.whenIdle(),
      () => broker.whenIdle(),
    ));
    return true;
  };
  // Only when needed: without a fetch listener the browser skips the worker for requests.
  const onFetch = (event: FetchEvent) => {
    // A request the broker answered is its alone: listeners added later (Workbox's router) never see it.
    if (handleFetch(event)) event.stopImmediatePropagation();
  };

  scope.addEventListener('message', onMessage);
  scope.addEventListener('install', onInstall);
  scope.addEventListener('activate', onActivate);
  if (resolved.mode === 'sealed' || answerCallback || offlineQueue) scope.addEventListener('fetch', onFetch);

  return {
    broker,
    config: resolved,
    uninstall() {
      scope.removeEventListener('message', onMessage);
      scope.removeEventListener('install', onInstall);
      scope.removeEventListener('activate', onActivate);
      scope.removeEventListener('fetch', onFetch);
    },
    handleFetch,
    offlineQueue,
  };
}

/** A worker whose broker config cannot work: every broker message gets a `misconfigured` reply saying why. */
function installMisconfigured(mistake: TypeError, scope: ServiceWorkerGlobalScope): InstalledTokenBroker {
  console.error('sw-token-broker: the installTokenBroker config is invalid; every broker message will be answered with misconfigured.', mistake);
  const error = new MisconfiguredError(`The token broker in this service worker is misconfigured: ${mistake.message}`);
  const onMessage = (event: ExtendableMessageEvent) => {
    const data = event.data as { protocol?: unknown; id?: unknown } | null;
    if (typeof data !== 'object' || data === null || data.protocol !== PROTOCOL) return;
    sendReply(replyTargetOf(event), errorReply(error, typeof data.id === 'string' ? data.id.slice(0, 64) : undefined));
  };
  scope.addEventListener('message', onMessage);
  const unusable = (): never => {
    throw mistake;
  };
  return {
    get broker() {
      return unusable();
    },
    get config() {
      return unusable();
    },
    uninstall: () => scope.removeEventListener('message', onMessage),
    handleFetch: () => false,
    offlineQueue: undefined,
  };
}

/** Where the reply to a message event goes: the port the page sent, else the sending client. */
function replyTargetOf(event: ExtendableMessageEvent): ReplyTarget | undefined {
  return event.ports[0] ?? (event.source as Client | null) ?? undefined;
}
