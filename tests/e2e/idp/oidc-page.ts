/**
 * The page the OpenID-provider tests open: registers the fixture worker of its scope,
 * attaches the broker to axios with the statuses the provider's resource server answers an
 * expired token with, takes a login result, and exposes `window.demo` like the demo pages.
 * Every broker event is recorded in `window.brokerEvents`, as `type: reason`.
 */
import axios from 'axios';
import { attachTokenBroker, registerTokenBroker, type BrokerEventType } from '../../../src/index.js';

declare global {
  interface Window {
    SW_TOKEN_BROKER_IDP: { statusCodes?: number[] };
    brokerEvents: string[];
    redirectResult: boolean | string;
  }
}

async function start(): Promise<void> {
  const scope = new URL('./', location.href).pathname;
  const broker = await registerTokenBroker(`${scope}oidc-sw.js`, { scope });
  const api = axios.create();
  attachTokenBroker(api, broker, { statusCodes: window.SW_TOKEN_BROKER_IDP.statusCodes });
  window.brokerEvents = [];
  const types: BrokerEventType[] = ['login', 'refreshed', 'logged-out', 'session-ended', 'storage-failed', 'subject-changed', 'revoked', 'revocation-failed'];
  for (const type of types) broker.on(type, (event) => window.brokerEvents.push(`${type}: ${event.reason ?? ''}`));
  try {
    window.redirectResult = broker.takeRedirectResult();
  } catch (error) {
    window.redirectResult = `${(error as { code?: string }).code}: ${(error as Error).message}`;
  }
  window.demo = { broker, api };
  document.body.dataset.ready = 'true';
}

start().catch((error: unknown) => {
  console.error(error);
  document.body.dataset.ready = 'error';
});
