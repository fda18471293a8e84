/**
 * DPoP proof checks for the demo's servers (RFC 9449 §4.3): signature with the embedded
 * public key, typ, alg, htm, htu, iat, a jti not seen before, and `ath` for API requests.
 * Returns the key's thumbprint, which tokens are bound to.
 */
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, jwtVerify, type JWK } from 'jose';

export type ProofResult = { ok: true; jkt: string; nonce?: string } | { ok: false; reason: string };

const seenJti = new Map<string, number>();
const DEFAULT_MAX_AGE_S = 60;

/**
 * @param options.maxAgeSeconds how old a proof (`iat`) may be; the window in which a proof
 *   signed by script in the page, and carried out of it, is still accepted.
 */
export async function verifyDpopProof(
  proof: string | string[] | undefined,
  expected: { method: string; url: string; accessToken?: string },
  options: { maxAgeSeconds?: number } = {},
): Promise<ProofResult> {
  const maxAgeSeconds = options.maxAgeSeconds ?? DEFAULT_MAX_AGE_S;
  if (typeof proof !== 'string' || proof === '') return { ok: false, reason: 'no DPoP proof' };
  try {
    const header = decodeProtectedHeader(proof);
    const jwk = header.jwk as JWK | undefined;
    if (header.typ !== 'dpop+jwt') return { ok: false, reason: 'typ is not dpop+jwt' };
    if (header.alg !== 'ES256' && header.alg !== 'EdDSA' && header.alg !== 'Ed25519') return { ok: false, reason: 'unsupported alg' };
    if (!jwk || 'd' in jwk) return { ok: false, reason: 'no public jwk in the header' };
    const key = await importJWK(jwk, header.alg);
    const { payload } = await jwtVerify(proof, key, { typ: 'dpop+jwt', maxTokenAge: `${maxAgeSeconds}s`, clockTolerance: Math.min(5, maxAgeSeconds / 2) });
    if (payload.htm !== expected.method) return { ok: false, reason: 'htm does not match' };
    const url = new URL(expected.url);
    if (payload.htu !== `${url.origin}${url.pathname}`) return { ok: false, reason: 'htu does not match' };
    if (expected.accessToken !== undefined) {
      const ath = createHash('sha256').update(expected.accessToken).digest('base64url');
      if (payload.ath !== ath) return { ok: false, reason: 'ath does not match the access token' };
    }
    if (typeof payload.jti !== 'string' || seenJti.has(payload.jti)) return { ok: false, reason: 'jti missing or replayed' };
    const now = Date.now();
    for (const [jti, until] of seenJti) if (until < now) seenJti.delete(jti);
    seenJti.set(payload.jti, now + maxAgeSeconds * 2000 + 10_000);
    return { ok: true, jkt: await calculateJwkThumbprint(jwk), ...(typeof payload.nonce === 'string' ? { nonce: payload.nonce } : {}) };
  } catch (error) {
    return { ok: false, reason: `invalid proof: ${(error as Error).message}` };
  }
}
