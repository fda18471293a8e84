/** What the page sends of `authorizationParams`: only in the client's lazily loaded code, not in the page entry. */
import type { RedirectLoginOptions } from './messages.js';

/** `authorizationParams` without its undefined values, as the worker takes them; undefined when none is left. */
export function definedParams(params: RedirectLoginOptions['authorizationParams']): Record<string, string | number> | undefined {
  if (!params) return undefined;
  const defined = Object.entries(params).filter((entry): entry is [string, string | number] => entry[1] !== undefined);
  return defined.length > 0 ? Object.fromEntries(defined) : undefined;
}
