/**
 * An adapter built from options that cannot work. Its factory does not throw: a throw in
 * the worker's first run fails the script, and the page would only see "the service worker
 * could not be registered" while the reason sits in the worker's console. Instead the
 * factory returns an endpoint that carries the mistake; `installTokenBroker` finds it and
 * answers every page message with a `misconfigured` error that says what to fix.
 */
import type { TokenEndpoint } from './types.js';

/**
 * Where an endpoint carries its mistake: an own enumerable property, so an adapter spread
 * into another object (`{ ...oidcEndpoint(options), revoke }`, the natural way to replace
 * one function) keeps it, and the mistake is still reported.
 */
const MISTAKE = Symbol.for('sw-token-broker.endpoint-mistake');

/** Runs an adapter factory's body; a `TypeError` (a caller mistake) becomes an endpoint carrying it. */
export function buildEndpoint(build: () => TokenEndpoint): TokenEndpoint {
  try {
    return build();
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return {
      login: () => Promise.reject(error),
      refresh: () => Promise.reject(error),
      [MISTAKE]: error,
    } as TokenEndpoint;
  }
}

/** The mistake an endpoint was built with, or undefined for a usable one. */
export function endpointMistake(endpoint: TokenEndpoint): TypeError | undefined {
  const mistake = (endpoint as { [MISTAKE]?: unknown })[MISTAKE];
  return mistake instanceof TypeError ? mistake : undefined;
}
