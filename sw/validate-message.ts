/**
 * Validation of page messages. Every message is untrusted: only known fields are read,
 * into a fresh object, and nothing is merged or forwarded.
 */
import {
  BrokerError,
  ErrorCode,
  MAX_CALLBACK_SEARCH_LENGTH,
  MAX_MESSAGE_BYTES,
  PROTOCOL,
  PROTOCOL_VERSION,
  ProtocolMismatchError,
  isCallbackSearch,
  isRequestType,
  type BrokerRequest,
  type RequestFieldsByType,
  type RequestType,
} from '../protocol/index.js';
import { MAX_CREDENTIAL_FIELDS, MAX_DEPTH, MAX_ID_LENGTH, MAX_NODES, isPlainRecord, plainDataShape, readAuthorizationParams, readCredentials, serialisedSize } from '../protocol/plain-data.js';

export type ParsedMessage =
  | { kind: 'foreign' }
  | { kind: 'invalid'; id?: string; error: BrokerError }
  | { kind: 'request'; request: BrokerRequest };

const MAX_TOKEN_LENGTH = 16 * 1024;

const invalid = (message: string, id?: string): ParsedMessage => ({
  kind: 'invalid',
  id,
  error: new BrokerError(ErrorCode.MalformedMessage, message),
});

/**
 * Turns message data into a request, or says why not.
 *
 * @param ownsAllMessages when false, data without the broker's tag is `foreign` (another handler's);
 *   when true, it is `invalid`.
 */
export function parseMessage(data: unknown, ownsAllMessages: boolean): ParsedMessage {
  if (!isPlainRecord(data) || data.protocol !== PROTOCOL) {
    return ownsAllMessages ? invalid(`Not a ${PROTOCOL} message: expected an object with protocol '${PROTOCOL}'`) : { kind: 'foreign' };
  }
  const id = typeof data.id === 'string' && data.id.length <= MAX_ID_LENGTH ? data.id : undefined;
  const shape = plainDataShape(data);
  if (shape === 'cycle') return invalid('The message cannot be serialised', id);
  if (shape === 'too-large') {
    return { kind: 'invalid', id, error: new BrokerError(ErrorCode.MessageTooLarge, `The message has more than ${MAX_NODES} values or is nested deeper than ${MAX_DEPTH}`) };
  }
  if (shape === 'not-plain') {
    return invalid('The message must be plain JSON-like data (objects, arrays, strings, numbers, booleans, null): no binary data, Maps, Sets, Dates or other objects', id);
  }
  const size = serialisedSize(data);
  if (size === undefined) return invalid('The message cannot be serialised', id);
  if (size > MAX_MESSAGE_BYTES) {
    return { kind: 'invalid', id, error: new BrokerError(ErrorCode.MessageTooLarge, `The message is ${size} bytes; the limit is ${MAX_MESSAGE_BYTES}`) };
  }
  if (data.v !== PROTOCOL_VERSION) {
    return {
      kind: 'invalid',
      id,
      error: new ProtocolMismatchError(
        `The page speaks protocol version ${String(data.v)} and the worker ${PROTOCOL_VERSION}; reload the page to update it`,
      ),
    };
  }
  if (id === undefined) return invalid(`The message id must be a string of at most ${MAX_ID_LENGTH} characters`);
  const type = data.type;
  if (!isRequestType(type)) {
    return {
      kind: 'invalid',
      id,
      error: new BrokerError(ErrorCode.UnknownType, `Unknown message type: ${typeof type === 'string' ? type.slice(0, 40) : typeof type}`),
    };
  }
  const fields = readFields[type](data);
  if (typeof fields === 'string') return invalid(fields, id);
  return { kind: 'request', request: { ...fields, protocol: PROTOCOL, v: PROTOCOL_VERSION, id, type } as BrokerRequest };
}

/**
 * Per request type: reads the fields it knows from the message into a fresh object, or
 * returns why it cannot. Keyed by the protocol's type table, so a new type cannot skip it.
 */
const readFields: { [T in RequestType]: (data: Record<string, unknown>) => RequestFieldsByType[T] | string } = {
  ping: () => ({}),
  getToken({ session, url }) {
    if (session !== undefined && !isSessionIdentity(session)) return 'getToken.session must be a session identity string';
    if (url !== undefined && !isRequestUrl(url)) return 'getToken.url must be an absolute http(s) URL';
    return { session: session as string | undefined, ...(url === undefined ? {} : { url }) };
  },
  logout({ endSession, check }) {
    if (endSession === undefined && check === undefined) return {};
    if (endSession !== true) return 'logout.endSession must be true or absent';
    if (typeof check !== 'string' || !/^[\w-]{16,64}$/.test(check)) return 'logout.check must be 16 to 64 characters of [A-Za-z0-9_-]';
    return { endSession, check };
  },
  status: () => ({}),
  userinfo: () => ({}),
  keepAlive: () => ({}),
  claim: () => ({}),
  replayQueue: () => ({}),
  login(data) {
    const credentials = readCredentials(data.credentials);
    return credentials ? { credentials } : `login.credentials must be an object of at most ${MAX_CREDENTIAL_FIELDS} string fields`;
  },
  refresh({ failedToken, failedGeneration, session, url }) {
    if (session !== undefined && !isSessionIdentity(session)) return 'refresh.session must be a session identity string';
    if (url !== undefined && !isRequestUrl(url)) return 'refresh.url must be an absolute http(s) URL';
    if (failedToken !== undefined && (typeof failedToken !== 'string' || failedToken.length > MAX_TOKEN_LENGTH)) {
      return 'refresh.failedToken must be a string';
    }
    if (failedGeneration !== undefined && !(Number.isSafeInteger(failedGeneration) && (failedGeneration as number) >= 0)) {
      return 'refresh.failedGeneration must be a non-negative integer';
    }
    return { failedToken: failedToken as string | undefined, failedGeneration: failedGeneration as number | undefined, session: session as string | undefined, ...(url === undefined ? {} : { url }) };
  },
  authorize({ returnTo, check, authorizationParams, popup }) {
    if (!isSameOriginPath(returnTo)) return 'authorize.returnTo must be a same-origin path starting with /';
    if (typeof check !== 'string' || !/^[\w-]{16,64}$/.test(check)) return 'authorize.check must be 16 to 64 characters of [A-Za-z0-9_-]';
    if (popup !== undefined && popup !== true) return 'authorize.popup must be true or absent';
    if (authorizationParams === undefined) return { returnTo, check, ...(popup ? { popup } : {}) };
    // The shape here; which names and values the worker allows is the endpoint's policy (rule 14).
    const params = readAuthorizationParams(authorizationParams);
    return params ? { returnTo, check, authorizationParams: params, ...(popup ? { popup } : {}) } : 'authorize.authorizationParams must be an object of strings or numbers';
  },
  dpopProof({ method, url, accessToken, nonce }) {
    if (typeof method !== 'string' || !/^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)$/i.test(method)) return 'dpopProof.method must be an HTTP method';
    if (!isRequestUrl(url)) return 'dpopProof.url must be an absolute http(s) URL';
    if (typeof accessToken !== 'string' || accessToken.length === 0 || accessToken.length > MAX_TOKEN_LENGTH) return 'dpopProof.accessToken must be the token the request carries';
    if (nonce !== undefined && (typeof nonce !== 'string' || nonce.length > 512 || /[^\x21-\x7e]/.test(nonce))) return 'dpopProof.nonce must be the DPoP-Nonce the server sent';
    return { method: method.toUpperCase(), url, accessToken, ...(nonce === undefined ? {} : { nonce }) };
  },
  finishLogin({ callbackSearch }) {
    if (!isCallbackSearch(callbackSearch)) return `finishLogin.callbackSearch must be a query string (starting with ?) of at most ${MAX_CALLBACK_SEARCH_LENGTH} characters`;
    return { callbackSearch };
  },
};

/** `SessionStatus.session`'s shape: `sub:` or `sid:` and at most 300 characters. */
function isSessionIdentity(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 300 && /^(sub|sid):/.test(value);
}

/**
 * A path on this origin, judged on the parsed URL as the browser will read it (the parser
 * drops tabs and newlines, so `/\t/evil.example` is `//evil.example`), with no control
 * characters and no backslash at all.
 */
export function isSameOriginPath(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 2048 || !value.startsWith('/')) return false;
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return false;
  const probe = 'https://origin.invalid';
  try {
    return new URL(value, probe).origin === probe;
  } catch {
    return false;
  }
}

/** An absolute http(s) URL of at most 8 KiB: the request a token or a proof is for. */
function isRequestUrl(url: unknown): url is string {
  return typeof url === 'string' && url.length <= 8192 && /^https?:\/\/[^/?#\s]/.test(url);
}
