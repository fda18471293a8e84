import { describe, expect, it } from 'vitest';
import * as page from '../../src/index.js';
import * as worker from '../../sw/index.js';

describe('package entries', () => {
  it('the worker entry exports exactly what an app or a custom adapter needs, and no internals', () => {
    expect(Object.keys(worker).sort()).toEqual(
      [
        'BrokerError',
        'ErrorCode',
        'LoginFailedError',
        'MisconfiguredError',
        'RefreshUnavailableError',
        'SessionEndedError',
        'hasErrorCode',
        'inMemoryLocks',
        'indexedDbStore',
        'installTokenBroker',
        'isBrokerError',
        'jsonEndpoint',
        'memoryStore',
        'oauth2Endpoint',
        'oidcEndpoint',
      ].sort(),
    );
    expect(Object.keys(worker).length).toBeLessThanOrEqual(15);
  });

  it('the page entry exports the client, the interceptors and the error classes', () => {
    expect(Object.keys(page).sort()).toEqual(
      [
        'BrokerClient',
        'BrokerError',
        'BrokerTimeoutError',
        'ErrorCode',
        'LoginFailedError',
        'MisconfiguredError',
        'NotLoggedInError',
        'ProtocolMismatchError',
        'RefreshUnavailableError',
        'ServiceWorkerUnavailableError',
        'SessionEndedError',
        'attachTokenBroker',
        'createBrokerFetch',
        'hasErrorCode',
        'isBrokerError',
        'registerTokenBroker',
      ].sort(),
    );
  });
});
