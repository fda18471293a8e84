/** The offline queue's records: what the worker keeps with each request, and how events name it. */
import type { QueuedRequest } from '../protocol/index.js';
import type { QueueEntry } from './offline-queue-options.js';

/** What the worker keeps with each queued request: who made it, never a token. */
export interface EntryMetadata {
  id: string;
  /** The identity of the session it was made in (rule 11); it is only ever sent with a token of that session. */
  session: string | null;
  /** How many times it was sent (a send whose answer was lost counts). */
  attempts: number;
  idempotencyKey?: string;
}

/** The request as events name it: never a header (but its idempotency key) or the body. */
export function describe(entry: QueueEntry, metadata: EntryMetadata): QueuedRequest {
  return {
    id: metadata.id,
    method: entry.request.method,
    url: entry.request.url,
    queuedAt: entry.timestamp ?? 0,
    attempts: metadata.attempts,
    ...(metadata.idempotencyKey ? { idempotencyKey: metadata.idempotencyKey } : {}),
  };
}

/** The request with an idempotency key header (a key the app set is kept), and the key. */
export function withIdempotencyKey(request: Request, header: string | undefined): { request: Request; key: string | undefined } {
  if (!header) return { request, key: undefined };
  const given = request.headers.get(header);
  if (given) return { request, key: given };
  const key = crypto.randomUUID();
  const headers = new Headers(request.headers);
  headers.set(header, key);
  return { request: new Request(request, { headers }), key };
}

/** The metadata of a stored entry, read defensively (an earlier version stored other fields). */
export function metadataOf(entry: QueueEntry): EntryMetadata {
  const metadata = entry.metadata as (Partial<EntryMetadata> & { subject?: unknown }) | undefined;
  // Entries an earlier version stored name the subject only.
  const session = typeof metadata?.session === 'string' ? metadata.session : typeof metadata?.subject === 'string' ? `sub:${metadata.subject}` : null;
  return {
    id: typeof metadata?.id === 'string' ? metadata.id : 'unknown',
    session,
    attempts: typeof metadata?.attempts === 'number' ? metadata.attempts : 1,
    ...(typeof metadata?.idempotencyKey === 'string' ? { idempotencyKey: metadata.idempotencyKey } : {}),
  };
}
