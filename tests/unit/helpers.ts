/** Test doubles for the worker side: a scripted token endpoint and a broker built around it. */
import { RefreshUnavailableError, SessionEndedError, LoginFailedError, type BrokerEventType, type ErrorDetails, type SessionStatus } from '../../protocol/index.js';
import type { TokenEndpoint, TokenSet } from '../../sw/adapters/types.js';
import { TokenBroker } from '../../sw/broker.js';
import { resolveConfig, type TokenBrokerConfig } from '../../sw/config.js';
import { inMemoryLocks, type LockRunner } from '../../sw/lock.js';
import { memoryStore, type SessionStore } from '../../sw/store.js';
import type { RequestQueue } from '../../sw/offline-queue-options.js';

export type Outcome = 'ok' | 'reject' | 'unavailable' | 'hang';

/**
 * A token endpoint that rotates refresh tokens like a real server (a used one is refused)
 * and does what the test scripts next.
 */
export class ScriptedEndpoint implements TokenEndpoint {
  readonly kind = 'scripted';
  refreshCalls: string[] = [];
  loginCalls = 0;
  revoked: string[] = [];
  next: Outcome = 'ok';
  delayMs = 5;
  expiresIn = 60;
  /** `token_type` of the tokens it issues (`DPoP` for a server that binds them). */
  tokenType: string | undefined = undefined;
  #counter = 0;
  #used = new Set<string>();
  #release: (() => void) | undefined;

  async login(credentials: Readonly<Record<string, string>>): Promise<TokenSet> {
    this.loginCalls++;
    if (credentials.password !== 'demo') throw new LoginFailedError('bad password');
    return this.#issue();
  }

  async refresh(refreshToken: string): Promise<TokenSet> {
    this.refreshCalls.push(refreshToken);
    if (this.next === 'hang') await new Promise<void>((resolve) => (this.#release = resolve));
    else await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.next === 'unavailable') throw new RefreshUnavailableError('scripted outage');
    if (this.next === 'reject' || this.#used.has(refreshToken)) throw new SessionEndedError('scripted invalid_grant');
    this.#used.add(refreshToken);
    return this.#issue();
  }

  async revoke(refreshToken: string): Promise<void> {
    this.revoked.push(refreshToken);
  }

  /** Lets a hanging refresh finish. */
  release(): void {
    this.#release?.();
  }

  #issue(): TokenSet {
    const n = ++this.#counter;
    return { accessToken: `access-${n}`, refreshToken: `refresh-${n}`, expiresInSeconds: this.expiresIn, tokenType: this.tokenType };
  }
}

export interface Harness {
  broker: TokenBroker;
  endpoint: ScriptedEndpoint;
  store: SessionStore;
  events: Array<{ event: BrokerEventType; status: SessionStatus; reason?: string; details?: ErrorDetails }>;
  config: ReturnType<typeof resolveConfig>;
  clock: { now: number };
}

/** Builds a broker with a scripted endpoint, a memory store, in-realm locks and a fake clock. */
export function makeBroker(
  overrides: Partial<TokenBrokerConfig> & { endpoint?: ScriptedEndpoint; store?: SessionStore; locks?: LockRunner; clock?: { now: number } } = {},
): Harness {
  const endpoint = overrides.endpoint ?? new ScriptedEndpoint();
  const store = overrides.store ?? memoryStore();
  const clock = overrides.clock ?? { now: 1_000_000 };
  const events: Harness['events'] = [];
  const config = resolveConfig({ apiAllowlist: ['https://api.test'], ...overrides, endpoint });
  const broker = new TokenBroker({
    config,
    name: 'test',
    store,
    locks: overrides.locks ?? inMemoryLocks(),
    notify: (event, status, reason, details) => void events.push(details ? { event, status, reason, details } : { event, status, reason }),
    fetch: () => Promise.reject(new Error('no network in unit tests')),
    now: () => clock.now,
  });
  return { broker, endpoint, store, events, clock, config };
}

/** A broker (see {@link makeBroker}) with a session: logged in as demo/demo. */
export async function loggedIn(options: Parameters<typeof makeBroker>[0] = {}): Promise<Harness> {
  const harness = makeBroker(options);
  await harness.broker.login({ username: 'demo', password: 'demo' });
  return harness;
}

/** workbox-background-sync's `Queue` as the offline queue uses it, in memory: FIFO, entries copied in and out like its IndexedDB records. */
export function memoryQueue() {
  const entries: Array<{ request: Request; timestamp?: number; metadata?: object }> = [];
  const copy = async (entry: (typeof entries)[number]) => ({ ...entry, request: entry.request.clone() });
  const queue: RequestQueue = {
    pushRequest: async (entry) => void entries.push(await copy(entry)),
    unshiftRequest: async (entry) => void entries.unshift(await copy(entry)),
    shiftRequest: async () => entries.shift(),
    size: async () => entries.length,
    getAll: async () => Promise.all(entries.map(copy)),
  };
  return { queue, entries };
}
