import { describe, expect, it } from 'vitest';
import * as page from '../../../src/index.js';
import * as worker from '../../../sw/index.js';
import * as vault from '../../../vault/index.js';
import * as react from '../../../react/index.js';
import * as vue from '../../../vue/index.js';

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
        'backgroundSyncQueue',
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
    expect(Object.keys(worker).length).toBeLessThanOrEqual(16);
  });

  it('the page entry exports registration, the interceptors and the error classes (the client is a type: its code loads with the registration)', () => {
    expect(Object.keys(page).sort()).toEqual(
      [
        'BrokerError',
        'BrokerTimeoutError',
        'ErrorCode',
        'LoginFailedError',
        'MisconfiguredError',
        'NotLoggedInError',
        'QUEUED_HEADER',
        'ProtocolMismatchError',
        'STARTING_SNAPSHOT',
        'RefreshUnavailableError',
        'ServiceWorkerUnavailableError',
        'ForeignWorkerError',
        'ServiceWorkerGoneError',
        'SessionEndedError',
        'StepUpRequiredError',
        'StorageFailedError',
        'attachTokenBroker',
        'createBrokerFetch',
        'hasErrorCode',
        'isBrokerError',
        'isSignedOutError',
        'registerTokenBroker',
        'sessionStore',
      ].sort(),
    );
  });

  it('the vault entry exports the app side, the frame side and its error, apart from the page entry', () => {
    expect(Object.keys(vault).sort()).toEqual(['VaultClient', 'VaultUnavailableError', 'createVaultFetch', 'openVault', 'serveVault']);
    for (const name of Object.keys(vault)) expect(Object.keys(page)).not.toContain(name);
  });

  it('the React and Vue entries export their bindings only: the client and errors come from the page entry', () => {
    expect(Object.keys(react).sort()).toEqual(['TokenBrokerProvider', 'useSession', 'useSignedOut', 'useTokenBroker']);
    expect(Object.keys(vue).sort()).toEqual(['createTokenBroker', 'onSignedOut', 'useSession', 'useTokenBroker']);
  });
});
