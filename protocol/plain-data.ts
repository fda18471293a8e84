/**
 * The limits every receiver of untrusted messages applies alike: the worker to page
 * messages (sw/validate-message.ts), the vault frame to the app's calls
 * (vault/validate-call.ts). Structured clone delivers ArrayBuffers, Maps, Sets and cycles
 * that JSON measures as `{}` or cannot measure at all, so the size limit only means something
 * once the data is known to be plain.
 */

/** A message id: at most this many characters. */
export const MAX_ID_LENGTH = 64;
/** Login credentials: at most this many fields, each a string of at most this many characters. */
export const MAX_CREDENTIAL_FIELDS = 16;
export const MAX_CREDENTIAL_LENGTH = 4096;
/** Plain data: at most this many values, nested at most this deep. */
export const MAX_NODES = 4096;
export const MAX_DEPTH = 16;

export type DataShape = 'plain' | 'not-plain' | 'cycle' | 'too-large';

/** Whether structured-clone data is plain JSON-like data, bounded in values and depth. */
export function plainDataShape(value: unknown): DataShape {
  let nodes = 0;
  const ancestors = new Set<object>();
  const walk = (item: unknown, depth: number): DataShape => {
    if (++nodes > MAX_NODES || depth > MAX_DEPTH) return 'too-large';
    if (item === null || item === undefined || typeof item === 'string' || typeof item === 'boolean') return 'plain';
    if (typeof item === 'number') return Number.isFinite(item) ? 'plain' : 'not-plain';
    const isArray = Array.isArray(item) && Object.getPrototypeOf(item) === Array.prototype;
    if (!isArray && !isPlainRecord(item)) return 'not-plain';
    if (ancestors.has(item)) return 'cycle';
    ancestors.add(item);
    for (const child of Object.values(item)) {
      const shape = walk(child, depth + 1);
      if (shape !== 'plain') return shape;
    }
    ancestors.delete(item);
    return 'plain';
  };
  return walk(value, 0);
}

/** An object literal (or a null-prototype object): no class instance, no array. */
export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** The UTF-8 size of the data as JSON, or undefined when it cannot be serialised. */
export function serialisedSize(value: unknown): number | undefined {
  try {
    return new TextEncoder().encode(JSON.stringify(value)).length;
  } catch {
    return undefined;
  }
}

/** Login credentials read into a fresh null-prototype object (a key named __proto__ stays a plain key), or undefined. */
export function readCredentials(value: unknown): Record<string, string> | undefined {
  if (!isPlainRecord(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length > MAX_CREDENTIAL_FIELDS) return undefined;
  const credentials = Object.create(null) as Record<string, string>;
  for (const key of keys) {
    const field = value[key];
    if (typeof field !== 'string' || field.length > MAX_CREDENTIAL_LENGTH) return undefined;
    credentials[key] = field;
  }
  return credentials;
}

/**
 * Authorization parameters' shape: an object of at most 20 string or number values, read into a
 * fresh null-prototype object. Which names and values are allowed is the worker's policy (rule 14).
 */
export function readAuthorizationParams(value: unknown): Record<string, string | number> | undefined {
  if (!isPlainRecord(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length > 20) return undefined;
  const params = Object.create(null) as Record<string, string | number>;
  for (const key of keys) {
    const field = value[key];
    if (typeof field !== 'string' && typeof field !== 'number') return undefined;
    params[key] = field;
  }
  return params;
}

