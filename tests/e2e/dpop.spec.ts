/**
 * DPoP (RFC 9449): tokens bound to a key pair the worker generated with a non-extractable
 * private key. A refresh token copied out of IndexedDB is refused without a proof from
 * that key, while the broker keeps working. Against the mock server and oidc-provider.
 */
import { randomUUID } from 'node:crypto';
import type { APIRequestContext, BrowserContext, Page } from '@playwright/test';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { expect, fireCalls, login, loginThroughProvider, stopWorkers, test } from './fixtures.js';

const DB = 'sw-token-broker:demo-dpop';

/** What injected page script can do: open the broker's database and copy the refresh token. */
async function stealRefreshToken(page: Page): Promise<string> {
  return page.evaluate(
    (name) =>
      new Promise<string>((resolve, reject) => {
        const open = indexedDB.open(name);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const get = open.result.transaction('kv').objectStore('kv').get('session');
          get.onsuccess = () => resolve(get.result.refreshToken);
          get.onerror = () => reject(get.error);
        };
      }),
    DB,
  );
}

/**
 * What injected page script can do with a non-extractable key: read the CryptoKeyPair
 * handle from IndexedDB and sign a DPoP proof (RFC 9449 §4.2) for the token endpoint.
 */
async function signProofInPage(page: Page, htu: string): Promise<string> {
  return page.evaluate(
    async ({ name, htu }) => {
      const session: any = await new Promise((resolve, reject) => {
        const open = indexedDB.open(name);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const get = open.result.transaction('kv').objectStore('kv').get('session');
          get.onsuccess = () => resolve(get.result);
        };
      });
      const { privateKey, publicKey } = session.dpop.keys as CryptoKeyPair;
      const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', publicKey);
      const b64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      const encode = (value: unknown) => b64url(new TextEncoder().encode(JSON.stringify(value)));
      const input = `${encode({ alg: 'ES256', typ: 'dpop+jwt', jwk: { kty, crv, x, y } })}.${encode({ htm: 'POST', htu, jti: crypto.randomUUID(), iat: Math.floor(Date.now() / 1000) })}`;
      const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, new TextEncoder().encode(input));
      return `${input}.${b64url(new Uint8Array(signature))}`;
    },
    { name: DB, htu },
  );
}

/** A proof from a fresh key of the thief's own, as a replay from outside the browser would carry. */
async function thiefProof(htu: string): Promise<string> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  return new SignJWT({ htm: 'POST', htu, jti: randomUUID() })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(publicKey) })
    .setIssuedAt()
    .sign(privateKey);
}

/** Facts about the session's key, read inside the worker (CryptoKeys do not leave it). */
async function workerKeyFacts(context: BrowserContext): Promise<{ hasKey: boolean; extractable?: boolean; exportRefused?: boolean; publicX?: string }> {
  const worker = context.serviceWorkers().find((w) => w.url().endsWith('/dpop/sw.js')) ?? (await context.waitForEvent('serviceworker'));
  return worker.evaluate(async (name) => {
    const session: any = await new Promise((resolve, reject) => {
      const open = indexedDB.open(name);
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const get = open.result.transaction('kv').objectStore('kv').get('session');
        get.onsuccess = () => resolve(get.result);
      };
    });
    if (!session?.dpop) return { hasKey: false };
    const { privateKey, publicKey } = session.dpop.keys as CryptoKeyPair;
    const exportRefused = await crypto.subtle.exportKey('jwk', privateKey).then(() => false, () => true);
    const publicJwk = await crypto.subtle.exportKey('jwk', publicKey);
    return { hasKey: true, extractable: privateKey.extractable, exportRefused, publicX: publicJwk.x };
  }, DB);
}

async function replay(request: APIRequestContext, path: string, refreshToken: string, proof?: string) {
  const response = await request.post(path, {
    form: { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'sw-token-broker-demo' },
    headers: proof ? { DPoP: proof } : {},
  });
  return { status: response.status(), body: await response.json() };
}

test.describe('against the mock server', () => {
  test('handoff + DPoP: the page sends the token with a proof the worker signs per request; the API checks each; a storm after expiry is one refresh; the token copied out of the page is refused without a proof', async ({ context, openTab, server, request }) => {
    const tabs = [await openTab('/dpop-handoff/'), await openTab('/dpop-handoff/')];
    await login(tabs[0]);
    const sent: Array<{ authorization: string | null; dpop: string | null }> = [];
    context.on('request', (each) => {
      if (new URL(each.url()).pathname === '/api/data') sent.push({ authorization: each.headers()['authorization'] ?? null, dpop: each.headers()['dpop'] ?? null });
    });
    expect(await fireCalls(tabs[0], 3)).toEqual({ ok: 3, errors: [] });
    expect(sent).toHaveLength(3);
    for (const each of sent) {
      expect(each.authorization).toMatch(/^DPoP /);
      expect(each.dpop).toMatch(/^ey[\w-]+\.ey[\w-]+\.[\w-]+$/);
    }
    // Each proof is its own (the server refuses a jti it saw).
    expect(new Set(sent.map((each) => each.dpop)).size).toBe(3);
    expect(await tabs[0].evaluate(() => window.demo.broker.status().then((status) => status.dpopBound))).toBe(true);

    await server.expireAccessTokens();
    await server.reset();
    const results = await Promise.all(tabs.map((tab) => fireCalls(tab, 5)));
    expect(results).toEqual(tabs.map(() => ({ ok: 5, errors: [] })));
    expect(await server.stats()).toMatchObject({ refreshes: 1, reuseDetected: 0, dpopRejected: 0 });

    // What injected script can take from the page: the access token. Without a proof from the worker's key it is refused.
    const token = await tabs[0].evaluate(() => window.demo.broker.getAccessToken());
    for (const authorization of [`DPoP ${token}`, `Bearer ${token}`]) {
      expect((await request.get('/api/data', { headers: { authorization } })).status()).toBe(401);
    }
  });

  test('handoff + DPoP against an API that demands DPoP nonces: each use_dpop_nonce is answered once with the nonce in a new proof, no refresh, every request succeeds', async ({ openTab, server }) => {
    await server.setQuirks({ requireDpopNonce: true });
    const page = await openTab('/dpop-handoff/');
    await login(page);
    await server.reset();
    expect(await fireCalls(page, 3)).toEqual({ ok: 3, errors: [] });
    const first = await server.stats();
    // The three went out together: each one sent before the server named its nonce was asked once.
    expect(first).toMatchObject({ refreshes: 0 });
    expect(first.dpopNonceChallenges).toBeGreaterThanOrEqual(1);
    expect(first.dpopNonceChallenges).toBeLessThanOrEqual(3);
    // Now the page knows the nonce: the next requests carry it from the start.
    expect(await fireCalls(page, 4)).toEqual({ ok: 4, errors: [] });
    expect(await server.stats()).toMatchObject({ refreshes: 0, dpopNonceChallenges: first.dpopNonceChallenges });
  });

  test('a refresh token copied out of IndexedDB is refused from outside, and the broker keeps working', async ({ openTab, server, request, baseURL }) => {
    const page = await openTab('/dpop/');
    await login(page);
    expect(await fireCalls(page, 3)).toEqual({ ok: 3, errors: [] });

    const stolen = await stealRefreshToken(page);
    expect(await replay(request, '/oauth/token', stolen)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await replay(request, '/oauth/token', stolen, await thiefProof(`${baseURL}/oauth/token`))).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant' },
    });
    expect(await server.stats()).toMatchObject({ dpopRejected: 2, reuseDetected: 0 });

    // The refusals rotated and revoked nothing: the broker refreshes with its key, also after a worker restart.
    await stopWorkers(page);
    await server.expireAccessTokens();
    expect(await fireCalls(page, 5)).toEqual({ ok: 5, errors: [] });
    expect(await server.stats()).toMatchObject({ logins: 1, refreshes: 3, refreshesRejected: 2, reuseDetected: 0, api401: 5 });
  });

  test('non-extractable is not unusable: page script signs proofs with the key; one used at once works, one used after the server\'s window or twice is refused', async ({ openTab, request, baseURL }) => {
    await request.post('/auth/test/config', { data: { dpopMaxAgeSeconds: 2 } });
    const page = await openTab('/dpop/');
    await login(page);
    const htu = `${baseURL}/oauth/token`;
    const stolen = await stealRefreshToken(page);
    // Signed now, carried out of the browser, used after the server's window: refused, nothing rotated.
    const early = await signProofInPage(page, htu);
    // The window: 2 s, plus 1 s of clock tolerance.
    await page.waitForTimeout(4500);
    expect(await replay(request, '/oauth/token', stolen, early)).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof' } });
    expect(await fireCalls(page, 2)).toEqual({ ok: 2, errors: [] });
    // While script runs in the page it can sign fresh proofs and use the session, as it can make API calls.
    const fresh = await signProofInPage(page, htu);
    expect((await replay(request, '/oauth/token', stolen, fresh)).status).toBe(200);
    // The same proof a second time: refused (its jti was seen).
    expect(await replay(request, '/oauth/token', stolen, fresh)).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof' } });
  });

  test('the private key is not extractable, a new session gets a new key, and logout deletes it', async ({ context, openTab }) => {
    const page = await openTab('/dpop/');
    await login(page);
    const first = await workerKeyFacts(context);
    expect(first).toMatchObject({ hasKey: true, extractable: false, exportRefused: true });
    await page.evaluate(() => window.demo.broker.logout());
    expect(await workerKeyFacts(context)).toEqual({ hasKey: false });
    await login(page);
    const second = await workerKeyFacts(context);
    expect(second.hasKey).toBe(true);
    expect(second.publicX).not.toBe(first.publicX);
    expect(await fireCalls(page, 2)).toEqual({ ok: 2, errors: [] });
  });
});

test.describe('against oidc-provider', () => {
  const OIDC_ORIGIN = `http://127.0.0.1:${process.env.OIDC_PORT ?? 5303}`;
  test.use({ baseURL: OIDC_ORIGIN });

  test('login by redirect with DPoP nonces; bound tokens; a copied refresh token is refused; refresh after expiry', async ({ openTab, server, request }) => {
    await server.setAccessTtl(2);
    const page = await openTab('/dpop/');
    await loginThroughProvider(page, '/dpop/');
    await expect(page.locator('#log')).toContainText('Logged in through the identity provider');
    expect(await fireCalls(page, 3)).toEqual({ ok: 3, errors: [] });

    const stolen = await stealRefreshToken(page);
    expect(await replay(request, '/oidc/token', stolen)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });

    expect((await server.stats()).logins).toBe(1);

    // After expiry: one refresh for 5 parallel calls. Counted from here, with the refreshed
    // token given 30 s: on a loaded machine the steps above can outlast a 2-second token
    // (one more refresh there), and the calls below the next one.
    await page.waitForTimeout(2300);
    await server.setAccessTtl(30);
    await server.reset();
    expect(await fireCalls(page, 5)).toEqual({ ok: 5, errors: [] });
    const stats = await server.stats();
    expect(stats).toMatchObject({ reuseDetected: 0 });
    expect(stats.refreshes - stats.refreshesRejected).toBe(1);
  });
});
