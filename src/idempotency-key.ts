/**
 * Writes carry their idempotency key from the page (rule 13), not only from the worker: when
 * the browser stops a worker while a write is out, it dispatches the same request again to a
 * new worker, and a key made in the worker would then be a new one (the chaos soak saw that
 * write arrive twice).
 */
import type { BrokerClient } from './client.js';

/** Methods that write: the offline queue's defaults. */
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The header to add to a request, and its new key, or undefined: only for writes, only when the
 * worker's offline queue keys them, and never over a key the app set itself.
 */
export function idempotencyKeyFor(
  broker: Partial<Pick<BrokerClient, 'idempotencyKeyHeader'>>,
  method: string | undefined,
  has: (header: string) => boolean,
): { header: string; key: string } | undefined {
  const header = broker.idempotencyKeyHeader;
  if (!header || !WRITES.has((method ?? 'GET').toUpperCase()) || has(header)) return undefined;
  return { header, key: crypto.randomUUID() };
}
