/**
 * The broker run in a page, where no service worker can: the worker's own TokenBroker and
 * message handler (the same rules, the same replies), with the page's IndexedDB, or memory
 * where the site may not store, and Web Locks. Only the tab that leads (`leader.ts`) runs one.
 */
import { BrokerError, ErrorCode, MisconfiguredError, PROTOCOL, PROTOCOL_VERSION, type BrokerEvent, type BrokerReply } from '../protocol/index.js';
import type { Notify } from '../sw/broker.js';
import { assembleBroker } from '../sw/broker-assembly.js';
import { resolveConfig, type ResolvedTokenBrokerConfig, type TokenBrokerConfig } from '../sw/config.js';
import { answer, errorReply } from '../sw/message-handler.js';
import { indexedDbStore, memoryStore } from '../sw/store.js';
import { parseMessage } from '../sw/validate-message.js';

export interface PageBroker {
  /** Answers one protocol message as the worker would. Never rejects. */
  answer(message: unknown): Promise<BrokerReply>;
  /** `indexeddb`, or `memory` where the site may not store (the session then lives in the leading tab). */
  readonly storage: 'indexeddb' | 'memory';
}

/**
 * Checks `config` for what a page can run, at registration: a mistake is a typed error then,
 * never a broker that fails later.
 *
 * @throws MisconfiguredError for a config the worker would refuse too; BrokerError `not-supported`
 *   for what needs a service worker (sealed mode, the offline queue).
 */
export function checkPageConfig(config: TokenBrokerConfig): ResolvedTokenBrokerConfig {
  let resolved: ResolvedTokenBrokerConfig;
  try {
    resolved = resolveConfig(config);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    throw new MisconfiguredError(`The broker config given for the page-side fallback is invalid: ${error.message}`, { cause: error });
  }
  // Refused, never dropped: an app that relies on either must know it does not run here.
  if (resolved.mode === 'sealed') throw new BrokerError(ErrorCode.NotSupported, 'Sealed mode needs a service worker (it signs requests in its fetch handler); none can run here. Allow handoff in the fallback config, or no fallback');
  if (resolved.offlineQueue) throw new BrokerError(ErrorCode.NotSupported, 'The offline queue needs a service worker (it keeps writes in its fetch handler); none can run here. Leave offlineQueue out of the fallback config');
  return { ...resolved, mode: 'page' };
}

/** Starts the page's broker under `name` (the worker's storage namespace, so both find one session). */
export async function startPageBroker(resolved: ResolvedTokenBrokerConfig, config: TokenBrokerConfig, name: string, deliver: (event: BrokerEvent) => void): Promise<PageBroker> {
  const storage = resolved.storage === 'memory' || !(await indexedDbUsable()) ? 'memory' : 'indexeddb';
  const store = config.store ?? (storage === 'memory' ? memoryStore() : indexedDbStore(name));
  const notify: Notify = async (event, status, reason, details) => deliver({ protocol: PROTOCOL, v: PROTOCOL_VERSION, broker: name, event, status, reason, details });
  const { broker, userinfo } = assembleBroker(resolved, config, name, store, notify);
  const hooks = { userinfo: () => userinfo.read() };
  return {
    storage,
    answer(message) {
      const parsed = parseMessage(message, true);
      if (parsed.kind === 'foreign') return Promise.resolve(errorReply(new BrokerError(ErrorCode.MalformedMessage, 'Not a broker message')));
      return parsed.kind === 'invalid' ? Promise.resolve(errorReply(parsed.error, parsed.id)) : answer(broker, resolved, parsed.request, hooks);
    },
  };
}

/** Whether this origin may use IndexedDB (site data blocked: the open fails). */
async function indexedDbUsable(): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      // Reading `indexedDB` itself throws where the site's data is blocked.
      const request = globalThis.indexedDB.open('sw-token-broker:probe');
      request.onsuccess = () => {
        request.result.close();
        resolve(true);
      };
      request.onerror = () => resolve(false);
      request.onblocked = () => resolve(true);
    } catch {
      resolve(false);
    }
  });
}
