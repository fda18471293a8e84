/** Registers the broker's worker and connects a BrokerClient to it; where none can run, the page-side fallback. */
import { ServiceWorkerUnavailableError } from '../protocol/index.js';
import type { BrokerClient } from './client.js';
import type { RegisterOptions } from './register.js';
import { isDevelopment } from './hints.js';
import { WorkerTransport, messageTimeouts } from './worker-transport.js';

/** See `registerTokenBroker`. */
export async function register(scriptUrl: string, options: RegisterOptions): Promise<BrokerClient> {
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
  const [{ Workbox }, { BrokerClient, waitForActive }, { checkRegistration, registrationMistake }] = await Promise.all([import('workbox-window'), import('./client.js'), import('./registration-checks.js')]);
  const workbox = new Workbox(scriptUrl, { scope: options.scope, type: options.type });
  let registration: ServiceWorkerRegistration | undefined;
  try {
    registration = await workbox.register({ immediate: true });
  } catch (error) {
    // Offline (a PWA started without network): the script cannot be fetched, but the worker installed before still runs.
    registration = await navigator.serviceWorker.getRegistration(options.scope ?? new URL('./', new URL(scriptUrl, location.href)).href).catch(() => undefined);
    if (!registration?.active) {
      const mistake = registrationMistake(error, options.type);
      const unavailable = new ServiceWorkerUnavailableError(`The service worker could not be registered: ${(error as Error)?.message ?? error}${mistake ? ` (likely: ${mistake})` : ''}`, { cause: error });
      // Refused outright (site data blocked, a policy): the page-side broker, if the app allows it. Offline is not that, nor a mistake in the app.
      if (options.fallback && !mistake && isRefusal(error)) return inThePage(scriptUrl, options, options.fallback, unavailable);
      throw unavailable;
    }
  }
  if (!registration) throw new ServiceWorkerUnavailableError('The service worker could not be registered');
  await waitForActive(registration, options.timeoutMs ?? 25_000);
  await checkRegistration(registration);
  // The script it registered: a worker running another (Angular's, a PWA plugin's) is pinged before it is trusted.
  const transport = new WorkerTransport(registration, { ...messageTimeouts(options), scriptUrl: new URL(scriptUrl, location.href).href });
  const client = new BrokerClient(workbox, registration, options, transport);
  await client.connect();
  // Sealed mode signs requests in the worker: an uncontrolled page would send them bare. An
  // offline queue keeps writes in the worker: an uncontrolled page's would be lost offline.
  if (client.mode === 'sealed' || client.queuesOffline) await client.waitForControl();
  if (client.mode === 'sealed' && isDevelopment()) (await import('./sealed-hints.js')).watchUnauthorizedOutside(client);
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
  const [{ pageBrokerTransport, isLoginCallback, finishLoginInPage }, { BrokerClient }, { hint, isDevelopment }] = await Promise.all([import('../fallback/index.js'), import('./client.js'), import('./hints.js')]);
  const scope = new URL(options.scope ?? './', new URL(scriptUrl, location.href)).href;
  const transport = await pageBrokerTransport(await fallback(), { name: scope, scope, timeoutMs: options.timeoutMs ?? 25_000 });
  if (isDevelopment()) hint('fallback', `no service worker here (${why.message}): the broker runs in the page, where page script can read its tokens`);
  const client = new BrokerClient(undefined, undefined, options, transport);
  await client.connect();
  // The provider sent the browser back to the callback, which no worker answers here: the page does.
  if (isLoginCallback(transport.callbackUrl)) await finishLoginInPage((fields) => transport.send('finishLogin', fields), scope);
  return client;
}
