/**
 * The session store: the only place the refresh token is kept.
 *
 * IndexedDB (through idb-keyval) by default, so the session outlives the worker, which
 * the browser stops after seconds of idleness. `memory` keeps it in the worker only.
 */
import { del, get, getMany, keys, promisifyRequest, set, type UseStore } from 'idb-keyval';
import type { PendingAuthorization } from './adapters/types.js';
import { isDpopKey, type DpopKey } from './dpop.js';

/** Current layout of a stored session; bump and migrate in {@link readSession} when it changes. */
export const SESSION_VERSION = 1;

/** A session as the worker stores it. Never leaves the worker. */
export interface StoredSession {
  version: typeof SESSION_VERSION;
  refreshToken: string;
  accessToken: string;
  /** Epoch ms when the access token expires. */
  accessExpiresAt: number;
  /** Epoch ms when the access token was obtained; with the expiry it gives the lifetime. */
  accessIssuedAt: number;
  /** Increases by one with each access token; lets pages name a token without holding it. */
  generation: number;
  /** The session's DPoP key pair (non-extractable private key), when DPoP is on. */
  dpop?: DpopKey;
  /** With a DPoP key: false when the server issued unbound (Bearer) tokens and the config allows them. Absent: bound. */
  dpopBound?: boolean;
  /** Who the session is for (`sub` of the id_token or of a JWT access token), when the tokens say. */
  subject?: string;
  /** The id_token's claims (no tokens), kept across refreshes that bring no new id_token: `status().claims`. */
  claims?: Record<string, unknown>;
  /** A random id fixed at login and kept across refreshes: names the session where no subject does. */
  sessionId?: string;
  /** The raw id_token of the login (or a refresh that brought one): RP-initiated logout's `id_token_hint`. */
  idToken?: string;
  /** When the login happened (epoch ms, this worker's clock): the absolute lifetime counts from it. */
  startedAt?: number;
  /** When the refresh token was last used or issued: the idle timeout counts from it. */
  refreshedAt?: number;
  /** When the refresh token expires, as the provider said at its last answer (a duration read on this worker's clock). */
  refreshExpiresAt?: number;
  /** True once a refresh showed the provider's limit does not slide (an absolute end, not an idle one). */
  refreshExpiresFixed?: boolean;
  /** One access token per API (`config.apis`), by allowlist entry; the login's token is the one above. */
  apiTokens?: Record<string, AccessTokenSlot>;
}

/** One access token and its timing: the login's (the session's own fields) or an API's. */
export interface AccessTokenSlot {
  accessToken: string;
  accessIssuedAt: number;
  accessExpiresAt: number;
  /** Increases by one with each token of this API. */
  generation: number;
}

/** A login by redirect in progress: kept in the store so a worker restart during the redirect loses nothing. */
export interface StoredPendingLogin extends PendingAuthorization {
  /** Where to send the browser back to (a same-origin path). */
  returnTo: string;
  /** The page's one-time value, returned in the result fragment so the page can tell its own login from a link. */
  check?: string;
  createdAt: number;
  /** Started by `loginWithPopup`: the callback ends on the worker's own popup page. */
  popup?: boolean;
}

/** Where sessions live. Writes resolve once the data is durable (the transaction completed). */
export interface SessionStore {
  read(): Promise<StoredSession | undefined>;
  write(session: StoredSession): Promise<void>;
  clear(): Promise<void>;
  /**
   * Compare-and-delete: removes the session only if the store still holds the one with this
   * refresh token, in one transaction, so a refused refresh of an old session never wipes
   * the login that replaced it. Resolves true when it removed it.
   */
  clearIf?(refreshToken: string): Promise<boolean>;
  /**
   * Calls `listener` when the browser closed the store's connection under it (site data
   * cleared, the database deleted): the session record may be gone. Optional.
   */
  onClosed?(listener: () => void): void;
  savePending(pending: StoredPendingLogin): Promise<void>;
  /** Reads and deletes in one transaction, so a replayed callback finds nothing. */
  takePending(state: string): Promise<StoredPendingLogin | undefined>;
  /** Every pending login, so expired ones can be purged and their number capped. */
  listPending(): Promise<StoredPendingLogin[]>;
  deletePending(state: string): Promise<void>;
}

const PENDING_PREFIX = 'pending:';
const pendingKey = (state: string) => `${PENDING_PREFIX}${state}`;

const SESSION_KEY = 'session';

/** The IndexedDB database name for a broker, so two brokers on one origin keep apart. */
export function databaseName(brokerName: string): string {
  return `sw-token-broker:${brokerName}`;
}

/**
 * A store in IndexedDB, one database per broker name.
 *
 * @param brokerName the broker's namespace.
 * @param useStore an idb-keyval store to use instead (tests inject their own).
 */
export function indexedDbStore(brokerName: string, useStore?: UseStore): SessionStore {
  let store = useStore;
  const closedListeners: Array<() => void> = [];
  // Created lazily: opening IndexedDB in the worker's first synchronous run delays activation.
  const target = () => (store ??= watchedStore(databaseName(brokerName), 'kv', () => closedListeners.forEach((listener) => listener())));
  return {
    read: async () => migrate(await get(SESSION_KEY, target())),
    write: (session) => set(SESSION_KEY, session, target()),
    clear: () => del(SESSION_KEY, target()),
    clearIf: (refreshToken) =>
      target()('readwrite', (objectStore) => {
        let removed = false;
        const request = objectStore.get(SESSION_KEY);
        request.onsuccess = () => {
          const current = request.result as { refreshToken?: unknown } | undefined;
          if (current?.refreshToken === refreshToken) {
            objectStore.delete(SESSION_KEY);
            removed = true;
          }
        };
        // Resolves when the transaction completed: the delete is durable, or there was none.
        return promisifyRequest(objectStore.transaction).then(() => removed);
      }),
    onClosed: (listener) => void closedListeners.push(listener),
    savePending: (pending) => set(pendingKey(pending.state), pending, target()),
    takePending: (state) =>
      target()('readwrite', (objectStore) => {
        const request = objectStore.get(pendingKey(state));
        objectStore.delete(pendingKey(state));
        return promisifyRequest(request) as Promise<StoredPendingLogin | undefined>;
      }),
    listPending: async () => {
      const pendingKeys = (await keys(target())).filter((key) => typeof key === 'string' && key.startsWith(PENDING_PREFIX));
      return (await getMany<StoredPendingLogin>(pendingKeys, target())).filter((login) => login !== undefined);
    },
    deletePending: (state) => del(pendingKey(state), target()),
  };
}

/** A store in worker memory only: lost when the browser stops the worker. */
export function memoryStore(): SessionStore {
  let current: StoredSession | undefined;
  const pending = new Map<string, StoredPendingLogin>();
  return {
    savePending: async (login) => void pending.set(login.state, { ...login }),
    takePending: async (state) => {
      const login = pending.get(state);
      pending.delete(state);
      return login;
    },
    listPending: async () => [...pending.values()].map((login) => ({ ...login })),
    deletePending: async (state) => void pending.delete(state),
    read: async () => (current ? { ...current } : undefined),
    write: async (session) => {
      current = { ...session };
    },
    clear: async () => {
      current = undefined;
    },
    clearIf: async (refreshToken) => {
      if (current?.refreshToken !== refreshToken) return false;
      current = undefined;
      return true;
    },
  };
}

/**
 * idb-keyval's `createStore`, plus a callback when the browser closes the connection under
 * us: Chromium does so when site data is cleared (the database is deleted), and idb-keyval
 * alone would reopen an empty database without a word.
 */
function watchedStore(dbName: string, storeName: string, onClosed: () => void): UseStore {
  let database: Promise<IDBDatabase> | undefined;
  const open = () => {
    if (database) return database;
    const request = indexedDB.open(dbName);
    request.onupgradeneeded = () => request.result.createObjectStore(storeName);
    const opened = promisifyRequest(request);
    database = opened;
    opened.then(
      (db) => {
        db.onclose = () => {
          database = undefined;
          onClosed();
        };
        // Another context deleting the database (a page's `indexedDB.deleteDatabase`): step aside, then report.
        db.onversionchange = () => {
          db.close();
          database = undefined;
          onClosed();
        };
      },
      () => (database = undefined),
    );
    return opened;
  };
  return (mode, callback) => open().then((db) => callback(db.transaction(storeName, mode).objectStore(storeName)));
}

/** Accepts what an earlier version wrote; anything unreadable counts as no session. */
function migrate(value: unknown): StoredSession | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (record.version !== SESSION_VERSION) return undefined;
  if (typeof record.refreshToken !== 'string' || typeof record.accessToken !== 'string') return undefined;
  if (typeof record.accessExpiresAt !== 'number' || typeof record.accessIssuedAt !== 'number') return undefined;
  if (typeof record.generation !== 'number') return undefined;
  return {
    version: SESSION_VERSION,
    refreshToken: record.refreshToken,
    accessToken: record.accessToken,
    accessExpiresAt: record.accessExpiresAt,
    accessIssuedAt: record.accessIssuedAt,
    generation: record.generation,
    dpop: isDpopKey(record.dpop) ? record.dpop : undefined,
    dpopBound: record.dpopBound === false ? false : undefined,
    subject: typeof record.subject === 'string' ? record.subject : undefined,
    claims: typeof record.claims === 'object' && record.claims !== null && !Array.isArray(record.claims) ? (record.claims as Record<string, unknown>) : undefined,
    sessionId: typeof record.sessionId === 'string' ? record.sessionId : undefined,
    idToken: typeof record.idToken === 'string' ? record.idToken : undefined,
    startedAt: finite(record.startedAt),
    refreshedAt: finite(record.refreshedAt),
    refreshExpiresAt: finite(record.refreshExpiresAt),
    refreshExpiresFixed: record.refreshExpiresFixed === true ? true : undefined,
    apiTokens: readApiTokens(record.apiTokens),
  };
}

function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function readApiTokens(value: unknown): Record<string, AccessTokenSlot> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const slots: Record<string, AccessTokenSlot> = {};
  for (const [key, slot] of Object.entries(value as Record<string, Partial<AccessTokenSlot>>)) {
    if (typeof slot?.accessToken !== 'string' || typeof slot.accessIssuedAt !== 'number' || typeof slot.accessExpiresAt !== 'number' || typeof slot.generation !== 'number') continue;
    slots[key] = { accessToken: slot.accessToken, accessIssuedAt: slot.accessIssuedAt, accessExpiresAt: slot.accessExpiresAt, generation: slot.generation };
  }
  return Object.keys(slots).length > 0 ? slots : undefined;
}
