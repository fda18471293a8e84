/**
 * What every framework binding does alike (React, Vue, and the ones to come): attach the
 * broker to the axios instances it was given. Not an entry: each binding's bundle carries it,
 * importing the page entry by name as users do.
 */
import type { AxiosInstance } from 'axios';
import { attachTokenBroker, type AttachOptions, type BrokerClient } from 'sw-token-broker';

/** One axios instance, a list of them, or none. */
export type AxiosInstances = AxiosInstance | readonly AxiosInstance[] | undefined;

/** Attaches the broker to each instance (attaching is idempotent per instance). */
export function attachAll(instances: AxiosInstances, client: BrokerClient, options?: AttachOptions): void {
  const list: readonly AxiosInstance[] = instances === undefined ? [] : Array.isArray(instances) ? instances : [instances as AxiosInstance];
  for (const instance of list) attachTokenBroker(instance, client, options);
}
