/** The mock auth server: the custom JSON flavour and standard OAuth 2 (RFC 6749, RFC 7009), with DPoP (RFC 9449). */
import type { ServerResponse } from 'node:http';
import { verifyDpopProof } from '../dpop.js';
import { delay, readFormBody, readJsonBody, sendGrant, sendJson, type Routes } from '../http.js';
import type { RouteContext } from './context.js';

export function oauthRoutes({ auth, origin, state }: RouteContext): Routes {
  /**
   * Runs a refresh with the configured latency and fault; true when the response was
   * already handled. A client that went away before the answer (a stopped worker) gets no
   * rotation unless `rotateWhenClientGone`: by default the server commits a rotation only
   * when it can deliver the new token, which is what a reuse interval or grace period does
   * on real servers.
   */
  async function refreshGate(res: ServerResponse, rotate: () => void): Promise<boolean> {
    state.refreshesReceived++;
    let clientGone = false;
    res.on('close', () => {
      if (!res.writableFinished) clientGone = true;
    });
    if (state.refreshDelayMs) await delay(state.refreshDelayMs);
    if (clientGone) {
      if (state.rotateWhenClientGone) rotate();
      else auth.stats.refreshes++;
      auth.stats.refreshesAbandoned++;
      return true;
    }
    const { fault } = state;
    if (fault === 'none') return false;
    auth.stats.refreshes++;
    const retryAfter: Record<string, string> = state.retryAfterSeconds ? { 'retry-after': String(state.retryAfterSeconds) } : {};
    if (fault === '503') sendJson(res, 503, { error: 'temporarily_unavailable', error_description: 'Injected outage' }, retryAfter);
    else if (fault === '500') sendJson(res, 500, { error: 'server_error', error_description: 'Injected failure' });
    else if (fault === 'garbage') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('<html>this is not json');
    } else if (fault === 'reset') res.socket?.destroy();
    // 'hang': never answer; the broker's timeout must handle it.
    return true;
  }

  return {
    // Custom JSON flavour.
    'POST /auth/login': async (req, res) => {
      const body = await readJsonBody(req);
      sendGrant(res, state.logged(auth.login(body.username, body.password), body.username), 'json', state.omitExpiresIn);
    },
    'POST /auth/refresh': async (req, res) => {
      const body = await readJsonBody(req);
      if (await refreshGate(res, () => auth.refresh(body.refreshToken))) return;
      const grant = auth.refresh(body.refreshToken);
      if (state.refreshAnswerDelayMs) await delay(state.refreshAnswerDelayMs);
      sendGrant(res, grant, 'json', state.omitExpiresIn);
    },
    'POST /auth/logout': async (req, res) => {
      const body = await readJsonBody(req);
      auth.revoke(body.refreshToken);
      sendJson(res, 200, { ok: true });
    },

    // Standard OAuth 2 flavour.
    'POST /oauth/token': async (req, res) => {
      const form = await readFormBody(req);
      const grantType = form.get('grant_type');
      let jkt: string | undefined;
      if (req.headers.dpop !== undefined && !state.ignoreDpop) {
        const proof = await verifyDpopProof(req.headers.dpop, { method: 'POST', url: `${origin}/oauth/token` }, { maxAgeSeconds: state.dpopMaxAgeSeconds });
        if (!proof.ok) return sendJson(res, 400, { error: 'invalid_dpop_proof', error_description: proof.reason });
        jkt = proof.jkt;
      }
      if (grantType === 'password') return sendGrant(res, state.logged(auth.login(form.get('username'), form.get('password'), jkt), form.get('username')), 'oauth', state.omitExpiresIn);
      if (grantType === 'refresh_token') {
        // Auth0's `audience` and RFC 8707's `resource` name the API the access token is for.
        const audience = form.get('audience') ?? form.get('resource') ?? undefined;
        if (await refreshGate(res, () => auth.refresh(form.get('refresh_token'), jkt, audience))) return;
        const grant = auth.refresh(form.get('refresh_token'), jkt, audience);
        if (state.refreshAnswerDelayMs) await delay(state.refreshAnswerDelayMs);
        return sendGrant(res, grant, 'oauth', state.omitExpiresIn);
      }
      sendJson(res, 400, { error: 'unsupported_grant_type', error_description: `Unsupported grant_type: ${grantType}` });
    },
    'POST /oauth/revoke': async (req, res) => {
      const form = await readFormBody(req);
      auth.revoke(form.get('token'));
      res.writeHead(200).end();
    },
  };
}
