/**
 * The embedded OpenID provider for `IDP=oidc`: oidc-provider (the certified Node.js
 * provider) with a public client, PKCE required, refresh-token rotation (reuse revokes the
 * grant), revocation, and its development login pages. Mounted under /oidc on the demo's
 * origin; it feeds the same counters as the mock server.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Provider, { errors } from 'oidc-provider';
import type { AuthStats } from './auth.js';
import { SECOND_API_AUDIENCE } from './routes/api.js';

/** The scope the several-APIs demo's second API takes (RFC 8707: its resource server's own). */
export const SECOND_API_SCOPE = 'api:read';

export const OIDC_CLIENT_ID = 'sw-token-broker-demo';
const MOUNT = '/oidc';

export interface EmbeddedProvider {
  /** Handles requests under /oidc; false for anything else. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Checks an `Authorization` header against the provider's access tokens; `proofJkt` as in MockAuth.authorize. */
  authorize(header: string | undefined, proofJkt?: string, audience?: string): Promise<{ ok: true; user: string; authTime?: number } | { ok: false; reason: string }>;
  isRefreshTokenActive(refreshToken: string): Promise<boolean>;
}

export function createOidcProvider(options: { origin: string; vaultOrigin?: string; stats: () => AuthStats; accessTtlSeconds: () => number }): EmbeddedProvider {
  const { origin, vaultOrigin } = options;
  const provider = new Provider(`${origin}${MOUNT}`, {
    clients: [
      {
        client_id: OIDC_CLIENT_ID,
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        // The vault's callback too (vault mode's demo); oidc-provider then allows CORS from the vault's origin.
        // RP-initiated logout comes back to the demo's pages.
        post_logout_redirect_uris: [`${origin}/`, `${origin}/apis/`],
        redirect_uris: [`${origin}/oidc-callback`, `${origin}/dpop/oidc-callback`, `${origin}/apis/oidc-callback`, ...(vaultOrigin ? [`${vaultOrigin}/vault-frame/oidc-callback`] : [])],
      },
    ],
    pkce: { required: () => true },
    rotateRefreshToken: true,
    // A refresh token for this client without the offline_access/prompt=consent dance.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: {
      AccessToken: () => Math.max(1, Math.round(options.accessTtlSeconds())),
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 24 * 3600,
      Grant: 24 * 3600,
      Session: 24 * 3600,
      Interaction: 3600,
    },
    features: {
      devInteractions: { enabled: true },
      revocation: { enabled: true },
      // DPoP with server nonces, so clients must handle use_dpop_nonce (RFC 9449 §8).
      dPoP: { enabled: true, nonceSecret: randomBytes(32) },
      // RFC 8707 for the several-APIs demo: the second API is a resource server with its own
      // audience and scope; a token for it comes from the refresh grant with `resource`.
      // Without a resource the tokens are the userinfo tokens they always were.
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf,
        useGrantedResource: async () => false,
        getResourceServerInfo: async (_ctx, indicator) => {
          if (indicator !== SECOND_API_AUDIENCE) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
          return { scope: SECOND_API_SCOPE, audience: SECOND_API_AUDIENCE, accessTokenFormat: 'opaque', accessTokenTTL: Math.max(1, Math.round(options.accessTtlSeconds())) };
        },
      },
    },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    cookies: { keys: ['sw-token-broker-demo-only'] },
  });

  provider.on('grant.success', (ctx) => {
    const grantType = ctx.oidc.params?.grant_type;
    if (grantType === 'refresh_token') {
      const stats = options.stats();
      stats.refreshes++;
      const resource = typeof ctx.oidc.params?.resource === 'string' ? ctx.oidc.params.resource : 'default';
      stats.grantsByResource[resource] = (stats.grantsByResource[resource] ?? 0) + 1;
    }
    if (grantType === 'authorization_code') options.stats().logins++;
  });
  provider.on('grant.error', (ctx, error) => {
    if (ctx.oidc?.params?.grant_type !== 'refresh_token') return;
    // A nonce request is part of the DPoP handshake, not a refused refresh.
    if ((error as { error?: string }).error === 'use_dpop_nonce') return;
    const stats = options.stats();
    stats.refreshes++;
    stats.refreshesRejected++;
    // oidc-provider's description is generic ("grant request is invalid"); the reason is in error_detail.
    const { error_detail: detail, error_description: description } = error as { error_detail?: string; error_description?: string };
    const reason = String(detail ?? description);
    if (/already used/.test(reason)) stats.reuseDetected++;
    if (/jkt|DPoP/i.test(reason)) stats.dpopRejected++;
  });

  const callback = provider.callback();
  return {
    handle(req, res) {
      const url = req.url ?? '/';
      if (url !== MOUNT && !url.startsWith(`${MOUNT}/`) && !url.startsWith(`${MOUNT}?`)) return false;
      if (req.method === 'POST' && url.startsWith(`${MOUNT}/token/revocation`)) {
        res.on('finish', () => res.statusCode === 200 && options.stats().revocations++);
      }
      // oidc-provider finds its mount path from originalUrl.
      (req as IncomingMessage & { originalUrl?: string }).originalUrl = url;
      req.url = url.slice(MOUNT.length) || '/';
      void callback(req, res);
      return true;
    },
    async authorize(header, proofJkt, audience) {
      const stats = options.stats();
      stats.apiCalls++;
      const match = /^(Bearer|DPoP) (\S+)$/.exec(header ?? '');
      const token = match ? await provider.AccessToken.find(match[2]) : undefined;
      if (!token || token.isExpired) {
        stats.api401++;
        return { ok: false, reason: match ? 'unknown or expired token' : 'missing bearer token' };
      }
      if (token.jkt && (match?.[1] !== 'DPoP' || token.jkt !== proofJkt)) {
        stats.api401++;
        return { ok: false, reason: 'DPoP-bound token without a valid proof from its key' };
      }
      // An API with an audience takes only tokens issued for it (RFC 8707), the others only tokens for none.
      if ((token.aud ?? undefined) !== audience) {
        stats.api401++;
        stats.wrongAudience++;
        return { ok: false, reason: `token issued for ${String(token.aud ?? 'the default API')}, not this API` };
      }
      // When the user logged in at the provider (its session's login time): what a step-up API checks.
      const session = token.sessionUid ? await provider.Session.findByUid(token.sessionUid) : undefined;
      return { ok: true, user: String(token.accountId), authTime: session?.authTime() };
    },
    async isRefreshTokenActive(refreshToken) {
      const token = await provider.RefreshToken.find(refreshToken);
      return !!token && !token.consumed && !token.isExpired;
    },
  };
}
