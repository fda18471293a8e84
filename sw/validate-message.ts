/**
 * Validation of page messages. Every message is untrusted: only known fields are read,
 * into a fresh object, and nothing is merged or forwarded.
 */
import {
  BrokerError,
  ErrorCode,
  MAX_MESSAGE_BYTES,
  PROTOCOL,
  PROTOCOL_VERSION,
  ProtocolMismatchError,
  isRequestType,
  type BrokerRequest,
  type RequestFieldsByType,
  type RequestType,
} from '../protocol/index.js';

export type ParsedMessage =
  | { kind: 'foreign' }
  | { kind: 'invalid'; id?: string; error: BrokerError }
  | { kind: 'request'; request: BrokerRequest };

const MAX_ID_LENGTH = 64;
const MAX_TOKEN_LENGTH = 16 * 1024;
const MAX_CREDENTIAL_FIELDS = 16;
const MAX_CREDENTIAL_LENGTH = 4096;

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
  const size = serialisedSize(data);
  if (size === undefined) return invalid('The message cannot be serialised');
  const id = typeof data.id === 'string' && data.id.length <= MAX_ID_LENGTH ? data.id : undefined;
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
  getToken: () => ({}),
  logout: () => ({}),
  status: () => ({}),
  claim: () => ({}),
  login(data) {
    const credentials = readCredentials(data.credentials);
    return credentials ? { credentials } : `login.credentials must be an object of at most ${MAX_CREDENTIAL_FIELDS} string fields`;
  },
  refresh({ failedToken, failedGeneration }) {
    if (failedToken !== undefined && (typeof failedToken !== 'string' || failedToken.length > MAX_TOKEN_LENGTH)) {
      return 'refresh.failedToken must be a string';
    }
    if (failedGeneration !== undefined && !(Number.isSafeInteger(failedGeneration) && (failedGeneration as number) >= 0)) {
      return 'refresh.failedGeneration must be a non-negative integer';
    }
    return { failedToken: failedToken as string | undefined, failedGeneration: failedGeneration as number | undefined };
  },
  authorize({ returnTo }) {
    // A same-origin path only: an absolute or protocol-relative URL would be an open redirect.
    if (typeof returnTo !== 'string' || returnTo.length > 2048 || !returnTo.startsWith('/') || returnTo.startsWith('//') || returnTo.includes('\\')) {
      return 'authorize.returnTo must be a same-origin path starting with /';
    }
    return { returnTo };
  },
};

function readCredentials(value: unknown): Record<string, string> | undefined {
  if (!isPlainRecord(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length > MAX_CREDENTIAL_FIELDS) return undefined;
  // A null-prototype object: a key named __proto__ stays a plain key.
  const credentials = Object.create(null) as Record<string, string>;
  for (const key of keys) {
    const field = value[key];
    if (typeof field !== 'string' || field.length > MAX_CREDENTIAL_LENGTH) return undefined;
    credentials[key] = field;
  }
  return credentials;
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function serialisedSize(value: unknown): number | undefined {
  try {
    return new TextEncoder().encode(JSON.stringify(value)).length;
  } catch {
    return undefined;
  }
}
