// @ts-check
/**
 * A self-signed certificate for 127.0.0.1, made with openssl for this run: msal-browser takes
 * only an https authority, so its provider listens with it (browsers in the bench ignore the
 * certificate's errors; nothing else trusts it).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** @returns {{ key: Buffer, cert: Buffer }} */
export function selfSignedLoopbackCertificate() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-tls-'));
  try {
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'pipe' });
    } catch (error) {
      throw new Error(`msal-browser's https provider needs a certificate, made with openssl, which failed (is openssl installed?): ${String(/** @type {Error} */ (error)?.message ?? error).split('\n')[0]}`);
    }
    return { key: readFileSync(key), cert: readFileSync(cert) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
