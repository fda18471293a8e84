/**
 * DPoP proofs for tokens the page holds (handoff mode with `dpop`): the page sends the
 * request, so it needs a proof per request (RFC 9449 §4), and only the worker holds the key
 * (non-extractable). The page asks with the method, the URL and the token it will send; the
 * worker signs `htm`, `htu` (without query and fragment), `iat`, `jti` and `ath` (the token's
 * hash), and the resource server's nonce when the page got one. ES256 over WebCrypto: the
 * proof is a JWS whose header carries the public key.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.2
 */
import type { DpopKey } from './dpop.js';

export interface ProofRequest {
  method: string;
  url: string;
  accessToken: string;
  nonce?: string;
}

const encoder = new TextEncoder();
const base64url = (bytes: ArrayBuffer | Uint8Array) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const encodeJson = (value: unknown) => base64url(encoder.encode(JSON.stringify(value)));

/** The public key as the proof's header names it (only the members RFC 7638 keeps). */
async function publicJwk(key: DpopKey): Promise<JsonWebKey> {
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', key.keys.publicKey);
  return { kty, crv, x, y };
}

/** A DPoP proof for one request with `accessToken`, signed with the session's key. */
export async function makeDpopProof(key: DpopKey, { method, url, accessToken, nonce }: ProofRequest, now = Date.now()): Promise<string> {
  const target = new URL(url);
  target.search = '';
  target.hash = '';
  const ath = base64url(await crypto.subtle.digest('SHA-256', encoder.encode(accessToken)));
  const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: await publicJwk(key) };
  const payload = { htm: method.toUpperCase(), htu: target.href, iat: Math.floor(now / 1000), jti: crypto.randomUUID(), ath, ...(nonce ? { nonce } : {}) };
  const input = `${encodeJson(header)}.${encodeJson(payload)}`;
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.keys.privateKey, encoder.encode(input));
  return `${input}.${base64url(signature)}`;
}
