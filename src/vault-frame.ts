/**
 * Vault mode, the vault's side: runs in the vault frame (a page on the vault's own origin,
 * loaded in a hidden iframe by the app). It registers the vault's worker (sealed mode: the
 * token never leaves it) and answers the app's pages over one MessagePort each: API
 * requests it makes with the worker adding the token, login, logout and status. Only the
 * origins in `appOrigins` may connect; anything else is ignored.
 */
import {
  BrokerError,
  ErrorCode,
  MisconfiguredError,
  VAULT_PROTOCOL,
  VAULT_PROTOCOL_VERSION,
  toWireError,
  type VaultCall,
  type VaultConnected,
  type VaultReply,
  type VaultRequest,
  type VaultResponse,
} from '../protocol/index.js';
import type { BrokerClient } from './client.js';
import { registerTokenBroker } from './register.js';

export interface VaultFrameOptions {
  /** The app origins allowed to use this vault, exactly (`https://app.example.com`). */
  appOrigins: string[];
  /** The vault worker's script (sealed mode), on the vault's origin. */
  scriptUrl: string;
  /** Its scope; it must control the vault frame's page. */
  scope?: string;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);
const MAX_BODY_CHARS = 1024 * 1024;

/**
 * Starts answering the app. Call once, in the vault frame's page.
 * @example serveVault({ appOrigins: ['https://app.example.com'], scriptUrl: '/vault-sw.js' });
 */
export function serveVault(options: VaultFrameOptions): void {
  const allowed = new Set(options.appOrigins.map((origin) => new URL(origin).origin));
  const broker = registerTokenBroker(options.scriptUrl, { scope: options.scope }).then((client) => {
    if (client.mode !== 'sealed') throw new MisconfiguredError("The vault's worker must run in sealed mode: the token must not reach the vault frame either");
    return client;
  });
  broker.catch(() => undefined);
  window.addEventListener('message', (event) => {
    // Only the embedding app, only from an allowed origin, only the connect message with its port.
    if (event.source !== window.parent || window.parent === window || !allowed.has(event.origin)) return;
    const data = event.data as { protocol?: unknown; v?: unknown; type?: unknown } | null;
    const port = event.ports[0];
    if (!port || data?.protocol !== VAULT_PROTOCOL || data.type !== 'connect') return;
    if (data.v !== VAULT_PROTOCOL_VERSION) return port.postMessage({ type: 'refused', error: toWireError(new BrokerError(ErrorCode.ProtocolMismatch, 'The app and the vault speak different protocol versions')) } satisfies VaultConnected);
    broker.then(
      (client) => {
        port.onmessage = (message) => void answer(client, message.data).then((reply) => port.postMessage(reply));
        port.postMessage({ type: 'ready', mode: 'vault' } satisfies VaultConnected);
      },
      (error: unknown) => port.postMessage({ type: 'refused', error: toWireError(error) } satisfies VaultConnected),
    );
  });
  // Now listening: tell the embedding app, if it is an allowed one (the browser delivers the
  // message only when the parent's origin is the target origin).
  if (window.parent !== window) for (const origin of allowed) window.parent.postMessage({ protocol: VAULT_PROTOCOL, v: VAULT_PROTOCOL_VERSION, type: 'hello' }, origin);
}

async function answer(broker: BrokerClient, message: unknown): Promise<VaultReply> {
  const id = typeof (message as { id?: unknown })?.id === 'string' ? (message as { id: string }).id : '';
  try {
    const call = readCall(message);
    const result =
      call.type === 'request'
        ? await relay(broker, call.request)
        : call.type === 'login'
          ? await broker.login(call.credentials)
          : call.type === 'logout'
            ? await broker.logout()
            : await broker.status();
    return { id, ok: true, result };
  } catch (error) {
    return { id, ok: false, error: toWireError(error) };
  }
}

/** The app's message, checked field by field: plain strings only, nothing else reaches fetch. */
function readCall(message: unknown): VaultCall {
  const malformed = (why: string) => new BrokerError(ErrorCode.MalformedMessage, `Vault: ${why}`);
  if (typeof message !== 'object' || message === null) throw malformed('a message must be an object');
  const { type } = message as { type?: unknown };
  if (type === 'logout' || type === 'status') return { type };
  if (type === 'login') {
    const credentials = (message as { credentials?: unknown }).credentials;
    if (!isStringRecord(credentials)) throw malformed('credentials must be an object of strings');
    return { type, credentials };
  }
  if (type !== 'request') throw new BrokerError(ErrorCode.UnknownType, `Vault: unknown message type ${String(type)}`);
  const request = (message as { request?: unknown }).request as Partial<VaultRequest> | undefined;
  if (!request || typeof request.method !== 'string' || !METHODS.has(request.method.toUpperCase())) throw malformed('request.method must be GET, HEAD, POST, PUT, PATCH or DELETE');
  if (typeof request.url !== 'string' || !/^https?:\/\//.test(request.url)) throw malformed('request.url must be an absolute http(s) URL');
  if (!isStringRecord(request.headers)) throw malformed('request.headers must be an object of strings');
  if (request.body !== null && (typeof request.body !== 'string' || request.body.length > MAX_BODY_CHARS)) throw malformed('request.body must be a string (at most 1 MiB) or null');
  return { type, request: { method: request.method.toUpperCase(), url: request.url, headers: request.headers, body: request.body } };
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((each) => typeof each === 'string');
}

/**
 * Makes the app's request from the vault: only to the worker's API allowlist (the vault is
 * no open proxy), without cookies, and never following a redirect. The worker adds the
 * token, refreshes on a 401 and retries; the app gets the response only. A network failure
 * or a redirect answer comes back as status 0.
 */
async function relay(broker: BrokerClient, request: VaultRequest): Promise<VaultResponse> {
  if (!broker.isApiUrl(request.url)) throw new BrokerError(ErrorCode.NotSupported, `Vault: ${new URL(request.url).origin} is outside the vault's apiAllowlist`);
  const headers = new Headers(request.headers);
  headers.delete('authorization');
  headers.delete('cookie');
  let response: Response;
  try {
    response = await fetch(request.url, { method: request.method, headers, body: request.body, credentials: 'omit', redirect: 'manual' });
  } catch (error) {
    // A network failure (offline, refused, CORS): status 0, as fetch reports it, with the reason.
    return { status: 0, statusText: `The vault could not reach ${request.url}: ${(error as Error)?.message ?? error}`, headers: {}, body: '' };
  }
  return {
    status: response.status,
    statusText: response.statusText,
    headers: Object.fromEntries(response.headers),
    body: await response.text(),
  };
}
