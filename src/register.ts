/** Registers the broker's worker and connects a BrokerClient to it. */
import { ServiceWorkerUnavailableError } from '../protocol/index.js';
import type { TokenBrokerConfig } from '../sw/config.js';
import type { BrokerClient, BrokerClientOptions } from './client.js';

export interface RegisterOptions extends BrokerClientOptions {
  /** The registration scope (default: the script's directory). */
  scope?: string;
  /** `classic` (default) or `module` worker script. */
  type?: WorkerType;
  /**
   * Where no service worker can run (switched off, site data blocked, in-app browsers): the
   * broker's config, the same the worker gets (one module imported by both), to run the broker
   * in the page instead. Without it such a browser gets `sw-unavailable`. Loaded only then.
   * Page script can read the tokens there (`status().mode` is `page`); sealed mode and the
   * offline queue are refused (`not-supported`). See docs/configuration.md, "Without a service worker".
   * @example fallback: () => import('./broker-config.js').then((module) => module.config)
   */
  fallback?: () => TokenBrokerConfig | Promise<TokenBrokerConfig>;
}

/**
 * Registers the worker at `scriptUrl` (or reuses its registration), waits until it is
 * active, and returns a connected {@link BrokerClient}. In handoff mode it works in a page
 * that is not controlled (first load, Shift+Reload): it talks to the active worker
 * directly. In sealed mode, and with an offline queue, it also waits until the worker
 * controls the page (see {@link BrokerClient.waitForControl}).
 *
 * Idempotent per page: every call with the same script URL and scope returns the same
 * client (the options of the first call apply), until the app calls `close()` on it; a
 * call after a failed registration tries again.
 *
 * @throws ServiceWorkerUnavailableError when service workers cannot be used (insecure context, disabled, private mode).
 * @throws BrokerTimeoutError when the worker does not activate or answer in time.
 * @example
 * const broker = await registerTokenBroker('/sw.js');
 * await broker.login({ username: 'demo', password: 'demo' });
 */
export async function registerTokenBroker(scriptUrl: string, options: RegisterOptions = {}): Promise<BrokerClient> {
  if (typeof scriptUrl !== 'string' || scriptUrl === '') throw new TypeError('registerTokenBroker needs the worker script URL');
  if (typeof window === 'undefined') return register(scriptUrl, options);
  // One client per script and scope in a page, however often this runs (React StrictMode,
  // remounts, hot reloads): a second client would deliver every event twice.
  const key = `${new URL(scriptUrl, location.href).href} ${options.scope ?? ''}`;
  const known = clients.get(key);
  if (known) {
    return known.then((client) => {
      if (!client.closed) return client;
      // Closed by the app: the next call registers anew.
      if (clients.get(key) === known) clients.delete(key);
      return registerTokenBroker(scriptUrl, options);
    });
  }
  const pending = register(scriptUrl, options);
  clients.set(key, pending);
  // A failed registration is not kept: the next call tries again.
  pending.catch(() => clients.get(key) === pending && clients.delete(key));
  return pending;
}

/** The clients this page registered, by script URL and scope. */
const clients = new Map<string, Promise<BrokerClient>>();

async function register(scriptUrl: string, options: RegisterOptions): Promise<BrokerClient> {
  if (typeof window === 'undefined' || !window.isSecureContext) {
    throw new ServiceWorkerUnavailableError('Service workers need a secure context (https, or http://localhost / 127.0.0.1)');
  }
  if (!('serviceWorker' in navigator) || !navigator.serviceWorker) {
    const unavailable = new ServiceWorkerUnavailableError('This browser does not offer service workers here (disabled, or a private window)');
    if (options.fallback) return inThePage(scriptUrl, options, options.fallback, unavailable);
    throw unavailable;
  }
  // Loaded here, not at import: the page entry stays small (the client is needed only once
  // registered), and importing it during server rendering never evaluates workbox-window
  // (whose Node entry is a UMD build).
  const [{ Workbox }, { BrokerClient, waitForActive }, { checkRegistration }] = await Promise.all([import('workbox-window'), import('./client.js'), import('./registration-checks.js')]);
  const workbox = new Workbox(scriptUrl, { scope: options.scope, type: options.type });
  let registration: ServiceWorkerRegistration | undefined;
  try {
    registration = await workbox.register({ immediate: true });
  } catch (error) {
    // Offline (a PWA started without network): the script cannot be fetched, but the worker installed before still runs.
    registration = await navigator.serviceWorker.getRegistration(options.scope ?? new URL('./', new URL(scriptUrl, location.href)).href).catch(() => undefined);
    if (!registration?.active) {
      const unavailable = new ServiceWorkerUnavailableError(`The service worker could not be registered: ${(error as Error)?.message ?? error}`, { cause: error });
      // Refused outright (site data blocked, a policy): the page-side broker, if the app allows it. Offline is not that.
      if (options.fallback && isRefusal(error)) return inThePage(scriptUrl, options, options.fallback, unavailable);
      throw unavailable;
    }
  }
  if (!registration) throw new ServiceWorkerUnavailableError('The service worker could not be registered');
  await waitForActive(registration, options.timeoutMs ?? 25_000);
  await checkRegistration(registration);
  const client = new BrokerClient(workbox, registration, options);
  await client.connect();
  // Sealed mode signs requests in the worker: an uncontrolled page would send them bare. An
  // offline queue keeps writes in the worker: an uncontrolled page's would be lost offline.
  if (client.mode === 'sealed' || client.queuesOffline) await client.waitForControl();
  return client;
}

/** A registration the browser refuses for good (not a network failure fetching the script). */
function isRefusal(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'NotSupportedError' || name === 'SecurityError' || name === 'NotAllowedError';
}

/** The page-side broker (`fallback/`), loaded only here, behind the same client. */
async function inThePage(scriptUrl: string, options: RegisterOptions, fallback: NonNullable<RegisterOptions['fallback']>, why: ServiceWorkerUnavailableError): Promise<BrokerClient> {
  if (typeof BroadcastChannel !== 'function') throw why;
  const [{ pageBrokerTransport }, { BrokerClient }, { hint, isDevelopment }] = await Promise.all([import('../fallback/index.js'), import('./client.js'), import('./hints.js')]);
  const scope = new URL(options.scope ?? './', new URL(scriptUrl, location.href)).href;
  const transport = await pageBrokerTransport(await fallback(), { name: scope, scope, timeoutMs: options.timeoutMs ?? 25_000 });
  if (isDevelopment()) hint('fallback', `no service worker here (${why.message}): the broker runs in the page, where page script can read its tokens`);
  const client = new BrokerClient(undefined, undefined, options, transport);
  await client.connect();
  return client;
}
