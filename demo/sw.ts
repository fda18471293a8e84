/// <reference lib="webworker" />
/**
 * The demo's standalone worker: the broker and nothing else, against the mock server's
 * JSON endpoints on this origin (`broker-config.ts`, which the page's fallback uses too).
 */
import { installTokenBroker } from '../sw/index.js';
import { demoConfig } from './broker-config.js';

declare const self: ServiceWorkerGlobalScope;

installTokenBroker(demoConfig(self.location.origin));
