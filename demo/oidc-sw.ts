/// <reference lib="webworker" />
/**
 * The demo's worker for `IDP=oidc`: login by redirect (authorization code + PKCE) against
 * the embedded oidc-provider, refresh with rotation, revocation at logout (`broker-config.ts`).
 * The server serves it as /sw.js in that mode.
 */
import { installTokenBroker } from '../sw/index.js';
import { demoOidcConfig } from './broker-config.js';

declare const self: ServiceWorkerGlobalScope;

installTokenBroker(demoOidcConfig(self.location.origin));
