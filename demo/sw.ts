/// <reference lib="webworker" />
/**
 * The demo's standalone worker: the broker and nothing else, against the mock server's
 * JSON endpoints on this origin. Tokens may go to this origin's /api/ only.
 */
import { installTokenBroker, jsonEndpoint } from '../sw/index.js';

declare const self: ServiceWorkerGlobalScope;

installTokenBroker({
  name: 'demo',
  endpoint: jsonEndpoint({
    loginUrl: '/auth/login',
    refreshUrl: '/auth/refresh',
    logoutUrl: '/auth/logout',
    // The mock server's field names; a backend with others maps them here.
    refreshBody: (refreshToken) => ({ refreshToken }),
    readTokens: (body) => {
      const { accessToken, refreshToken, expiresIn, refreshExpiresIn } = body as { accessToken: string; refreshToken: string; expiresIn: number; refreshExpiresIn?: number };
      // refreshExpiresIn: the session's limit at the server, when it has one (the worker warns before it, and keeps the session alive).
      return { accessToken, refreshToken, expiresInSeconds: expiresIn, refreshExpiresInSeconds: refreshExpiresIn };
    },
  }),
  apiAllowlist: [`${self.location.origin}/api/`],
  skipWaiting: true,
  ownsAllMessages: true,
});
