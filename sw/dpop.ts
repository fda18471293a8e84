/**
 * DPoP keys (RFC 9449): one ES256 key pair per session, generated in the worker with a
 * non-extractable private key, kept in the store beside the session (structured clone
 * keeps it non-extractable) and deleted with it. A refresh token bound to it is useless
 * to anyone who copies it out of IndexedDB: they cannot sign proofs.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449
 */

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
