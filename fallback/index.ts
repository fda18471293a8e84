/**
 * Where no service worker can run (switched off by preference or policy, site data blocked,
 * in-app browsers) and the app allowed it: the broker runs in the page, with the same API.
 * Loaded by `registerTokenBroker` only then, so pages with a worker never load it.
 */
import type { TokenBrokerConfig } from '../sw/config.js';
import type { BrokerTransport } from '../src/transport.js';
import { inMemoryLocks } from '../sw/lock.js';
import { channelElection, lockElection, webLocksUsable } from './election.js';
import { LeaderTransport } from './leader.js';

export { finishLoginInPage, isLoginCallback } from './login-callback.js';
import { checkPageConfig, startPageBroker } from './page-broker.js';

/**
 * A transport to the page-side broker of `config` under `name`: this tab runs it when it leads,
 * else asks the tab that does.
 * @throws MisconfiguredError or BrokerError `not-supported` (sealed mode, the offline queue), at once.
 */
export async function pageBrokerTransport(config: TokenBrokerConfig, options: { name: string; scope: string; timeoutMs: number }): Promise<BrokerTransport & { callbackUrl?: string }> {
  const resolved = checkPageConfig(config);
  const name = config.name ?? options.name;
  const locks = await webLocksUsable();
  const election = locks ? lockElection(`sw-token-broker:leader:${name}`) : channelElection(`sw-token-broker:election:${name}`);
  // One broker runs (the leader's): without Web Locks its refreshes are serialised in its memory.
  const brokerLocks = config.locks ?? (locks ? undefined : inMemoryLocks());
  const transport = new LeaderTransport(name, options.scope, options.timeoutMs, election, (deliver) => startPageBroker(resolved, { ...config, locks: brokerLocks }, name, deliver));
  return Object.assign(transport, { callbackUrl: resolved.endpoint.redirectLogin?.callbackUrl });
}
