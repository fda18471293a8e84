/** Registers the broker's worker and connects a BrokerClient to it. */
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

/** The registration itself (`registration.ts`), loaded with the first call: the page entry stays small. */
async function register(scriptUrl: string, options: RegisterOptions): Promise<BrokerClient> {
  return (await import('./registration.js')).register(scriptUrl, options);
}
