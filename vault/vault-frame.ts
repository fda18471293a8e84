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
  VAULT_CALLBACK_KEY,
  VAULT_RETURN_PARAM,
  REDIRECT_RESULT_KEY,
  toWireError,
  type VaultCall,
  type VaultConnected,
  type VaultReply,
  type VaultRequest,
  type VaultResponse,
  type VaultResultByType,
} from '../protocol/index.js';
import type { TokenBrokerConfig } from '../sw/config.js';
import type { BrokerClient } from '../src/client.js';
import { createBrokerFetch } from '../src/broker-fetch.js';
import { registerTokenBroker } from '../src/register.js';
import { parseUrl, parseVaultCall } from './validate-call.js';

export interface VaultFrameOptions {
  /** The app origins allowed to use this vault, exactly (`https://app.example.com`). */
  appOrigins: string[];
  /** The vault worker's script (sealed mode), on the vault's origin. */
  scriptUrl: string;
  /** Its scope; it must control the vault frame's page. */
  scope?: string;
  /**
   * Login by redirect, in browsers that key a frame's workers by the top-level origin
   * (WebKit): the app page this vault page sends an unanswered callback to (it must open the
   * vault and call `takeRedirectResult`). Default: the first app origin's `/`.
   */
  callbackReturnUrl?: string;
  /**
   * Where no service worker can run: the vault worker's config, to run its broker in this frame
   * instead (`registerTokenBroker`'s `fallback`). The tokens stay on the vault's origin, in this
   * frame, out of the app's reach; this frame makes the app's requests with them. Without it
   * such a browser gets `vault-unavailable` at the app.
   */
  fallback?: () => TokenBrokerConfig | Promise<TokenBrokerConfig>;
}

/**
 * Starts answering the app. Call once, in the vault frame's page.
 * @example serveVault({ appOrigins: ['https://app.example.com'], scriptUrl: '/vault-sw.js' });
 */
export function serveVault(options: VaultFrameOptions): void {
  const allowed = new Set(options.appOrigins.map((origin) => new URL(origin).origin));
  // Not in a frame: the end of a login by redirect, which comes back to this page on the vault's origin.
  if (window.parent === window) return forwardRedirectResult(allowed, options.callbackReturnUrl ?? new URL('/', options.appOrigins[0]).href);
  const { fallback } = options;
  // The frame is the vault's page: where its broker runs in the page, it holds the tokens here, on the vault's origin.
  const inTheFrame = fallback && (async () => ({ ...(await fallback()), mode: 'handoff' as const }));
  const broker = registerTokenBroker(options.scriptUrl, { scope: options.scope, fallback: inTheFrame }).then((client) => {
    if (client.mode === 'handoff') throw new MisconfiguredError("The vault's worker must run in sealed mode: the token must not reach the vault frame either");
    return client;
  });
  // Not an unhandled rejection: every app call awaits `broker` and gets its typed error in the reply.
  broker.catch(() => undefined);
  window.addEventListener('message', (event) => {
    // Only the embedding app, only from an allowed origin, only the connect message with its port.
    if (event.source !== window.parent || !allowed.has(event.origin)) return;
    const appOrigin = event.origin;
    const data = event.data as { protocol?: unknown; v?: unknown; type?: unknown } | null;
    const port = event.ports[0];
    if (!port || data?.protocol !== VAULT_PROTOCOL || data.type !== 'connect') return;
    if (data.v !== VAULT_PROTOCOL_VERSION) return port.postMessage({ type: 'refused', error: toWireError(new BrokerError(ErrorCode.ProtocolMismatch, 'The app and the vault speak different protocol versions')) } satisfies VaultConnected);
    broker.then(
      (client) => {
        port.onmessage = (message) => void answer(client, appOrigin, message.data).then((reply) => port.postMessage(reply));
        port.postMessage({ type: 'ready', mode: 'vault', loginKind: client.loginKind } satisfies VaultConnected);
      },
      (error: unknown) => port.postMessage({ type: 'refused', error: toWireError(error) } satisfies VaultConnected),
    );
  });
  // Now listening: tell the embedding app, if it is an allowed one (the browser delivers the
  // message only when the parent's origin is the target origin).
  for (const origin of allowed) window.parent.postMessage({ protocol: VAULT_PROTOCOL, v: VAULT_PROTOCOL_VERSION, type: 'hello' }, origin);
}

/**
 * The vault page loaded on its own (not in a frame), in a login by redirect:
 * - after the worker exchanged the code, with the result in the fragment: sent on to the
 *   app page that started the login, if its origin is an app origin;
 * - as the callback itself, which no worker answered (WebKit keys the vault frame's worker
 *   by the app's origin, so this top-level page is outside its reach): the callback's query
 *   goes to the app page `callbackReturnUrl`, which passes it to the vault frame. The code
 *   is then readable by the app page's script; it is bound to the PKCE verifier in the
 *   vault's worker, so only the vault can redeem it.
 */
function forwardRedirectResult(allowed: Set<string>, callbackReturnUrl: string): void {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const query = new URLSearchParams(location.search);
  if (fragment.has(REDIRECT_RESULT_KEY)) {
    const target = parseUrl(query.get(VAULT_RETURN_PARAM));
    if (!target || !allowed.has(target.origin)) return;
    target.hash = fragment.toString();
    return location.replace(target.href);
  }
  const target = parseUrl(callbackReturnUrl);
  if (query.has('state') && (query.has('code') || query.has('error')) && target && allowed.has(target.origin)) {
    target.hash = new URLSearchParams({ [VAULT_CALLBACK_KEY]: location.search }).toString();
    location.replace(target.href);
  }
}

/** The app page a login started from, out of the vault page's return path the worker kept. */
function appReturnUrl(returnTo: string): string | null {
  return parseUrl(new URL(returnTo, location.origin).searchParams.get(VAULT_RETURN_PARAM))?.href ?? null;
}

async function answer(broker: BrokerClient, appOrigin: string, message: unknown): Promise<VaultReply> {
  const parsed = parseVaultCall(message, appOrigin);
  const { id } = parsed;
  if ('error' in parsed) return { id, ok: false, error: toWireError(parsed.error) };
  try {
    const result = await run(broker, parsed.call);
    return { id, ok: true, result };
  } catch (error) {
    return { id, ok: false, error: toWireError(error) };
  }
}

/** The client module's relay, loaded as `registerTokenBroker` loads the client: not in the app side's bundle. */
const relayTo = async () => (await import('../src/send-through.js')).sendThrough;

/** Runs one checked call. */
async function run(broker: BrokerClient, call: VaultCall): Promise<VaultResultByType[VaultCall['type']]> {
  switch (call.type) {
    case 'request':
      return relay(broker, call.request);
    case 'login':
      return broker.login(call.credentials);
    case 'authorize':
      return { authorizationUrl: (await (await relayTo())(broker, 'authorize', { returnTo: vaultReturnPath(call.returnTo), check: call.check, ...(call.authorizationParams ? { authorizationParams: call.authorizationParams } : {}) })).authorizationUrl };
    case 'finishLogin':
      return finishLogin(broker, call.callbackSearch);
    case 'logout':
      return broker.logout();
    case 'status':
      return broker.status();
  }
}

async function finishLogin(broker: BrokerClient, callbackSearch: string): Promise<VaultResultByType['finishLogin']> {
  const { returnTo, check, error } = await (await relayTo())(broker, 'finishLogin', { callbackSearch });
  return { returnTo: appReturnUrl(returnTo), check, error };
}

/** Where the worker sends the browser after the code exchange: this page, which forwards to the app's `returnTo`. */
function vaultReturnPath(returnTo: string): string {
  return `${location.pathname}?${new URLSearchParams({ [VAULT_RETURN_PARAM]: returnTo })}`;
}

/**
 * Makes the app's request from the vault: only to the worker's API allowlist (the vault is
 * no open proxy), without cookies, and never following a redirect. The worker adds the
 * token, refreshes on a 401 and retries; the app gets the response only. A network failure
 * or a redirect answer comes back as status 0.
 */
/** The broker's fetch of a frame whose broker runs in the page, one per client. */
const pageFetch = new WeakMap<BrokerClient, typeof fetch>();

async function relay(broker: BrokerClient, request: VaultRequest): Promise<VaultResponse> {
  if (!broker.isApiUrl(request.url)) throw new BrokerError(ErrorCode.NotSupported, `Vault: ${new URL(request.url).origin} is outside the vault's apiAllowlist`);
  const headers = new Headers(request.headers);
  headers.delete('authorization');
  headers.delete('cookie');
  // Sealed mode: the worker adds the token. Without a worker (`page`), this frame does, through the broker's fetch.
  const send = broker.mode === 'page' ? (pageFetch.get(broker) ?? pageFetch.set(broker, createBrokerFetch(broker)).get(broker)!) : fetch;
  let response: Response;
  try {
    response = await send(request.url, { method: request.method, headers, body: request.body, credentials: 'omit', redirect: 'manual' });
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
