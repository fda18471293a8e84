/**
 * DPoP keys (RFC 9449): one ES256 key pair per session, generated in the worker with a
 * non-extractable private key, kept in the store beside the session (structured clone
 * keeps it non-extractable) and deleted with it. A refresh token bound to it is useless
 * to anyone who copies it out of IndexedDB: they cannot sign proofs.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449
 */
import * as oauth from 'oauth4webapi';
import { RefreshUnavailableError } from '../protocol/index.js';

/** A session's DPoP key pair and a random id that names it (for per-key nonce state). */
export interface DpopKey {
  id: string;
  keys: CryptoKeyPair;
}

/** Generates a key pair whose private key cannot be exported, not even by the worker. */
export async function generateDpopKey(): Promise<DpopKey> {
  const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
  return { id: crypto.randomUUID(), keys };
}

/** True for a value that can serve as a stored DPoP key. */
export function isDpopKey(value: unknown): value is DpopKey {
  const candidate = value as DpopKey | undefined;
  return (
    typeof candidate?.id === 'string' &&
    typeof CryptoKey !== 'undefined' &&
    candidate.keys?.privateKey instanceof CryptoKey &&
    candidate.keys?.publicKey instanceof CryptoKey
  );
}

const handles = new Map<string, oauth.DPoPHandle>();

/**
 * oauth4webapi's proof maker for a key. One per key, kept while the worker lives, so the
 * server nonces it learned (`DPoP-Nonce`) are reused instead of costing a retry each time.
 */
export function dpopHandle(key: DpopKey): oauth.DPoPHandle {
  let handle = handles.get(key.id);
  if (!handle) {
    handle = oauth.DPoP({}, key.keys);
    if (handles.size >= 8) handles.delete(handles.keys().next().value as string);
    handles.set(key.id, handle);
  }
  return handle;
}

/**
 * Runs a DPoP request once more when the server answers `use_dpop_nonce`: the handle has
 * then learned the nonce (RFC 9449 §8). Only once: a second nonce error is a real failure.
 */
export async function withNonceRetry<T>(attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (error) {
    if (!oauth.isDPoPNonceError(error)) throw error;
  }
  try {
    return await attempt();
  } catch (error) {
    if (oauth.isDPoPNonceError(error)) throw new RefreshUnavailableError('The server kept asking for a new DPoP nonce', { cause: error });
    throw error;
  }
}
