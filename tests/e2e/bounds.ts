/**
 * How long the end-to-end tests wait, derived from the bounds the code under test keeps
 * itself, so a slow machine cannot fail a correct build. Whatever a test waits for, the
 * code settles it within its own bound (answered or failed with a typed error); a test
 * waits that bound times LOAD_MARGIN, because on a loaded 2-core machine (CI beside a
 * benchmark) everything has been seen to run several times slower than on a quiet one.
 * Only a wait longer than the code's own bound could hide a hang, and none is.
 */
import { DEFAULT_VAULT_CONNECT_TIMEOUT_MS } from '../../vault/vault-client.js';
import { DEFAULT_MESSAGE_TIMEOUT_MS } from '../../src/client.js';
import { DEFAULT_LOCK_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS } from '../../sw/config.js';

export const LOAD_MARGIN = 2;

export const WAIT = {
  /** A token request the worker makes: answered, or given up, within requestTimeoutMs. */
  tokenRequest: DEFAULT_REQUEST_TIMEOUT_MS * LOAD_MARGIN,
  /** A message to the worker: the page client gives up after this (it waits for the lock, 20 s, and more). */
  message: DEFAULT_MESSAGE_TIMEOUT_MS,
  /** openVault: the vault frame connects, or the app gets vault-unavailable, within its connect bound. */
  vaultConnect: DEFAULT_VAULT_CONNECT_TIMEOUT_MS * LOAD_MARGIN,
  /** The browser stopping its workers (CDP): milliseconds when quiet, over 5 s seen under load; as long as the lock bound. */
  workerStop: DEFAULT_LOCK_TIMEOUT_MS,
};

/** One test: a few waits of the kinds above in a row. */
export const TEST_TIMEOUT_MS = 2 * DEFAULT_MESSAGE_TIMEOUT_MS * LOAD_MARGIN + 20_000;
