/** Answers page messages: validates, runs the operation, replies on the message's port. */
import {
  BrokerError,
  ErrorCode,
  PROTOCOL_VERSION,
  isBrokerError,
  type BrokerReply,
  type BrokerRequest,
  type ErrorReply,
} from '../protocol/index.js';
import type { TokenBroker } from './broker.js';
import type { ResolvedConfig } from './config.js';
import { parseMessage } from './validate.js';

/** Runs one validated request and builds its reply. Never rejects. */
export async function answer(
  broker: TokenBroker,
  config: ResolvedConfig,
  request: BrokerRequest,
  claim: () => Promise<boolean> = async () => false,
): Promise<BrokerReply> {
  try {
    switch (request.type) {
      case 'ping':
        return {
          ok: true,
          id: request.id,
          version: PROTOCOL_VERSION,
          name: broker.name,
          mode: config.mode,
          apiAllowlist: config.apiAllowlist,
          loginKind: config.endpoint.redirectLogin ? 'redirect' : 'password',
        };
      case 'authorize':
        return { ok: true, id: request.id, authorizationUrl: await broker.startRedirectLogin(request.returnTo) };
      case 'status':
        return { ok: true, id: request.id, status: await broker.status() };
      case 'login':
        return { ok: true, id: request.id, status: await broker.login(request.credentials) };
      case 'logout':
        return { ok: true, id: request.id, status: await broker.logout() };
      case 'getToken':
        if (config.mode === 'sealed') throw new BrokerError(ErrorCode.NotSupported, 'In sealed mode the worker never hands out the access token');
        return { ok: true, id: request.id, ...(await broker.getToken()) };
      case 'claim':
        return { ok: true, id: request.id, claimed: await claim() };
      case 'refresh':
        return {
          ok: true,
          id: request.id,
          ...(await broker.refresh({ failedToken: request.failedToken, failedGeneration: request.failedGeneration })),
        };
    }
  } catch (error) {
    return errorReply(error, request.id);
  }
}

/** The reply for any failure; unexpected errors become `internal` without their details. */
export function errorReply(error: unknown, id?: string): ErrorReply {
  const brokerError = isBrokerError(error) ? (error as BrokerError) : new BrokerError(ErrorCode.Internal, 'The service worker failed unexpectedly');
  return { ok: false, id, error: { code: brokerError.code, message: brokerError.message } };
}

/** Where a reply goes: the port the page sent, else the sending client. */
export interface ReplyTarget {
  postMessage(message: unknown): void;
}

/**
 * Handles one message event's data. Returns undefined for messages that are not the
 * broker's (left to the worker's other handlers), else the promise of the reply being sent.
 */
export function routeMessage(
  broker: TokenBroker,
  config: ResolvedConfig,
  data: unknown,
  replyTo: ReplyTarget | undefined,
  claim?: () => Promise<boolean>,
): Promise<void> | undefined {
  const parsed = parseMessage(data, config.ownsAllMessages);
  if (parsed.kind === 'foreign') return undefined;
  const reply: Promise<BrokerReply> =
    parsed.kind === 'invalid' ? Promise.resolve(errorReply(parsed.error, parsed.id)) : answer(broker, config, parsed.request, claim);
  return reply.then((message) => {
    try {
      replyTo?.postMessage(message);
    } catch {
      // The page is gone (closed tab, closed port): nobody is left to answer.
    }
  });
}
