/** Answers page messages: validates, runs the operation, replies on the message's port. */
import {
  BrokerError,
  ErrorCode,
  PROTOCOL_VERSION,
  isAllowedUrl,
  toWireError,
  type BrokerReply,
  type BrokerRequest,
  type ErrorReply,
  type RequestOf,
  type RequestType,
  type ResultByType,
} from '../protocol/index.js';
import type { TokenBroker } from './broker.js';
import type { ResolvedTokenBrokerConfig } from './config.js';
import { makeDpopProof } from './dpop-proof.js';
import { parseMessage } from './validate-message.js';

/** One operation per request type; keyed by the protocol's type table, so none can be missing. */
type Operations = { [T in RequestType]: (request: RequestOf<T>) => Promise<ResultByType[T]> };

/** What the worker around the broker does for some messages: claim pages, replay the offline queue. */
export interface WorkerHooks {
  claim?: () => Promise<boolean>;
  /** Replays the offline queue and resolves with how many requests still wait. */
  replayQueue?: () => Promise<number>;
  /** How many requests wait in the offline queue; absent without one. */
  queuePending?: () => Promise<number>;
  /** The provider's userinfo for the session (`sw/userinfo.ts`). */
  userinfo?: () => Promise<Record<string, unknown>>;
}

function operations(broker: TokenBroker, config: ResolvedTokenBrokerConfig, hooks: WorkerHooks): Operations {
  return {
    ping: async () => ({
      version: PROTOCOL_VERSION,
      name: broker.name,
      mode: config.mode,
      apiAllowlist: config.apiAllowlist,
      ...(config.apis.length > 0 ? { apis: config.apis.map((api) => api.key) } : {}),
      lifetimes: { warnBeforeMs: config.session.warnBeforeMs, keepAlive: config.session.keepAlive },
      loginKind: config.endpoint.redirectLogin ? 'redirect' : 'password',
      status: await broker.status(),
      ...(hooks.queuePending ? { queuePending: await hooks.queuePending() } : {}),
      ...(hooks.queuePending && config.offlineQueue?.idempotencyKey ? { idempotencyKey: config.offlineQueue.idempotencyKey } : {}),
    }),
    async dpopProof({ method, url, accessToken, nonce }) {
      // A proof only for the API the token is for: the page cannot have the key sign for anywhere else.
      if (!isAllowedUrl(url, config.allowlist)) throw new BrokerError(ErrorCode.NotSupported, `No DPoP proof for ${url.slice(0, 200)}: it is outside the worker's apiAllowlist`);
      const { dpop } = await broker.sealedToken();
      return dpop ? { proof: await makeDpopProof(dpop, { method, url, accessToken, nonce }) } : {};
    },
    authorize: async ({ returnTo, check, authorizationParams, popup }) => ({ authorizationUrl: await broker.startRedirectLogin(returnTo, { check, authorizationParams, popup }) }),
    async finishLogin({ callbackSearch }) {
      const callbackUrl = config.endpoint.redirectLogin?.callbackUrl;
      if (!callbackUrl) throw new BrokerError(ErrorCode.NotSupported, 'This token endpoint logs in with credentials, not a redirect');
      const callback = new URL(callbackUrl);
      callback.search = callbackSearch;
      const { returnTo, check, error } = await broker.finishRedirectLogin(callback, '/');
      return { returnTo, check: check ?? null, error: error ? toWireError(error) : null };
    },
    status: async () => ({ status: await broker.status() }),
    keepAlive: async () => ({ status: await broker.keepAlive() }),
    async userinfo() {
      if (!hooks.userinfo) throw new BrokerError(ErrorCode.NotSupported, 'This worker reads no userinfo');
      return { userinfo: await hooks.userinfo() };
    },
    login: async ({ credentials }) => ({ status: await broker.login(credentials) }),
    logout: async ({ endSession, check }) => (endSession && check ? broker.logoutAtProvider(check) : { status: await broker.logout() }),
    getToken: async ({ session, url }) => broker.getToken(session, url),
    claim: async () => ({ claimed: (await hooks.claim?.()) ?? false }),
    replayQueue: async () => ({ pending: (await hooks.replayQueue?.()) ?? 0 }),
    refresh: async ({ failedToken, failedGeneration, session, url }) => broker.refresh({ failedToken, failedGeneration, session, url }),
  };
}

/** Runs one validated request and builds its reply. Never rejects. */
export async function answer(
  broker: TokenBroker,
  config: ResolvedTokenBrokerConfig,
  request: BrokerRequest,
  hooks: WorkerHooks = {},
): Promise<BrokerReply> {
  const operation = operations(broker, config, hooks)[request.type] as (request: BrokerRequest) => Promise<ResultByType[RequestType]>;
  try {
    return { ok: true, id: request.id, ...(await operation(request)) };
  } catch (error) {
    return errorReply(error, request.id);
  }
}

/** The reply for any failure; unexpected errors become `internal` without their details. */
export function errorReply(error: unknown, id?: string): ErrorReply {
  return { ok: false, id, error: toWireError(error) };
}

/** Where a reply goes: the port the page sent, else the sending client. */
export interface ReplyTarget {
  postMessage(message: unknown): void;
}

/**
 * Handles one message event's data. Returns undefined for messages that are not the
 * broker's (left to the worker's other handlers), else the promise of the reply being sent.
 */
export function handleMessage(
  broker: TokenBroker,
  config: ResolvedTokenBrokerConfig,
  data: unknown,
  replyTo: ReplyTarget | undefined,
  hooks?: WorkerHooks,
): Promise<void> | undefined {
  const parsed = parseMessage(data, config.ownsAllMessages);
  if (parsed.kind === 'foreign') return undefined;
  const reply: Promise<BrokerReply> =
    parsed.kind === 'invalid' ? Promise.resolve(errorReply(parsed.error, parsed.id)) : answer(broker, config, parsed.request, hooks);
  return reply.then((message) => sendReply(replyTo, message));
}


/** Posts a reply; a page that is gone (closed tab, closed port) leaves nobody to answer. */
export function sendReply(replyTo: ReplyTarget | undefined, message: BrokerReply): void {
  try {
    replyTo?.postMessage(message);
  } catch {
    // Nobody is left to answer.
  }
}
