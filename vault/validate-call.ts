/**
 * The vault frame's check of the app's calls: a table keyed by the vault protocol's call
 * types (a new type cannot skip it), after the worker's own shape and size limits
 * (protocol/plain-data.ts). Only known fields are read, into a fresh object; plain strings
 * only reach fetch.
 */
import { BrokerError, ErrorCode, MAX_MESSAGE_BYTES, isCallbackSearch, type VaultCall, type VaultRequest } from '../protocol/index.js';
import { MAX_CREDENTIAL_FIELDS, MAX_DEPTH, MAX_ID_LENGTH, MAX_NODES, isPlainRecord, plainDataShape, readAuthorizationParams, readCredentials, serialisedSize } from '../protocol/plain-data.js';

/** A request body the vault relays: at most 1 MiB of text. Every other call keeps the worker's 64 KiB. */
export const MAX_VAULT_BODY_CHARS = 1024 * 1024;
const MAX_URL_LENGTH = 8192;
const MAX_HEADERS = 64;
const MAX_HEADER_LENGTH = 8192;
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

export type ParsedVaultCall = { id: string; call: VaultCall } | { id: string; error: BrokerError };

/** Turns the app's message into a call, or says why not (`id` is '' when the message has none). */
export function parseVaultCall(message: unknown, appOrigin: string): ParsedVaultCall {
  const malformed = (why: string) => new BrokerError(ErrorCode.MalformedMessage, `Vault: ${why}`);
  if (!isPlainRecord(message)) return { id: '', error: malformed('a message must be a plain object') };
  const id = typeof message.id === 'string' && message.id.length <= MAX_ID_LENGTH ? message.id : '';
  const shape = plainDataShape(message);
  if (shape === 'too-large') return { id, error: new BrokerError(ErrorCode.MessageTooLarge, `Vault: the message has more than ${MAX_NODES} values or is nested deeper than ${MAX_DEPTH}`) };
  if (shape !== 'plain') return { id, error: malformed('a message must be plain JSON-like data (objects, arrays, strings, numbers, booleans, null)') };
  const limit = message.type === 'request' ? MAX_VAULT_BODY_CHARS * 4 + MAX_MESSAGE_BYTES : MAX_MESSAGE_BYTES;
  const size = serialisedSize(message);
  if (size === undefined) return { id, error: malformed('the message cannot be serialised') };
  if (size > limit) return { id, error: new BrokerError(ErrorCode.MessageTooLarge, `Vault: the message is ${size} bytes; the limit is ${limit}`) };
  const type = message.type;
  if (typeof type !== 'string' || !Object.hasOwn(readCall, type)) {
    return { id, error: new BrokerError(ErrorCode.UnknownType, `Vault: unknown message type ${typeof type === 'string' ? type.slice(0, 40) : typeof type}`) };
  }
  const call = readCall[type as VaultCall['type']](message, appOrigin);
  return typeof call === 'string' ? { id, error: malformed(call) } : { id, call };
}

type CallOf<T extends VaultCall['type']> = Extract<VaultCall, { type: T }>;

/** Per call type: the call read from the message, or why it cannot be. */
const readCall: { [T in VaultCall['type']]: (message: Record<string, unknown>, appOrigin: string) => CallOf<T> | string } = {
  logout: () => ({ type: 'logout' }),
  status: () => ({ type: 'status' }),
  login({ credentials }) {
    const read = readCredentials(credentials);
    return read ? { type: 'login', credentials: read } : `login.credentials must be an object of at most ${MAX_CREDENTIAL_FIELDS} string fields`;
  },
  finishLogin({ callbackSearch }) {
    // The worker checks it again; this keeps a non-string from reaching BrokerClient.
    return isCallbackSearch(callbackSearch) ? { type: 'finishLogin', callbackSearch } : 'finishLogin.callbackSearch must be a query string';
  },
  authorize({ returnTo, check, authorizationParams }, appOrigin) {
    // The browser comes back to the page of the app that asked, never elsewhere.
    const url = typeof returnTo === 'string' && returnTo.length <= 1024 ? parseUrl(returnTo) : null;
    if (!url || url.origin !== appOrigin) return `authorize.returnTo must be an absolute URL on ${appOrigin}`;
    if (typeof check !== 'string' || !/^[\w-]{16,64}$/.test(check)) return 'authorize.check must be 16 to 64 characters of [A-Za-z0-9_-]';
    url.hash = '';
    if (authorizationParams === undefined) return { type: 'authorize', returnTo: url.href, check };
    // The shape here; the vault's worker decides which names and values it sends (rule 14).
    const params = readAuthorizationParams(authorizationParams);
    return params ? { type: 'authorize', returnTo: url.href, check, authorizationParams: params } : 'authorize.authorizationParams must be an object of strings or numbers';
  },
  request({ request }) {
    if (!isPlainRecord(request)) return 'request must be an object';
    const { method, url, headers, body } = request as Partial<Record<keyof VaultRequest, unknown>>;
    if (typeof method !== 'string' || !METHODS.has(method.toUpperCase())) return 'request.method must be GET, HEAD, POST, PUT, PATCH or DELETE';
    if (typeof url !== 'string' || url.length > MAX_URL_LENGTH || !/^https?:\/\//.test(url) || !parseUrl(url)) return `request.url must be an absolute http(s) URL of at most ${MAX_URL_LENGTH} characters`;
    const readHeaders = readHeaderRecord(headers);
    if (!readHeaders) return `request.headers must be an object of at most ${MAX_HEADERS} string values of at most ${MAX_HEADER_LENGTH} characters`;
    if (body !== null && (typeof body !== 'string' || body.length > MAX_VAULT_BODY_CHARS)) return 'request.body must be a string (at most 1 MiB) or null';
    return { type: 'request', request: { method: method.toUpperCase(), url, headers: readHeaders, body } };
  },
};

function readHeaderRecord(value: unknown): Record<string, string> | undefined {
  if (!isPlainRecord(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length > MAX_HEADERS) return undefined;
  const headers = Object.create(null) as Record<string, string>;
  for (const key of keys) {
    const field = value[key];
    if (typeof field !== 'string' || field.length > MAX_HEADER_LENGTH) return undefined;
    headers[key] = field;
  }
  return headers;
}

/** `URL.parse` for browsers before 2024: null when not an absolute URL. */
export function parseUrl(value: string | null): URL | null {
  try {
    return value === null ? null : new URL(value);
  } catch {
    return null;
  }
}
