/**
 * sw-token-broker: the page side. Register the worker, then attach the broker to axios.
 *
 * @example
 * import axios from 'axios';
 * import { registerTokenBroker, attachTokenBroker } from 'sw-token-broker';
 * const broker = await registerTokenBroker('/sw.js');
 * const api = axios.create();
 * attachTokenBroker(api, broker);
 */
export { registerTokenBroker, type RegisterOptions } from './register.js';
// A type: a client comes from registerTokenBroker (its code loads with the registration).
export { STARTING_SNAPSHOT } from './session-snapshot.js';
export { sessionStore, type SessionStore, type SessionView } from './session-store.js';
export type {
  BrokerClient,
  BrokerClientOptions,
  PopupLoginOptions,
  BrokerEventHandler,
  SessionListener,
  SessionSnapshot,
  SignOutReason,
} from './client.js';
export { attachTokenBroker, type AttachOptions, type InterceptorBroker } from './interceptors.js';
export { createBrokerFetch, type BrokerFetchOptions, type FetchBroker } from './broker-fetch.js';
export {
  BrokerError,
  BrokerTimeoutError,
  ErrorCode,
  LoginFailedError,
  MisconfiguredError,
  NotLoggedInError,
  ProtocolMismatchError,
  RefreshUnavailableError,
  ServiceWorkerUnavailableError,
  ForeignWorkerError,
  ServiceWorkerGoneError,
  SessionEndedError,
  StepUpRequiredError,
  StorageFailedError,
  hasErrorCode,
  isBrokerError,
  isSignedOutError,
  QUEUED_HEADER,
  type BrokerEvent,
  type BrokerEventType,
  type BrokerMode,
  type DropReason,
  type ErrorDetails,
  type QueuedRequest,
  type RedirectLoginOptions,
  type FailedCredential,
  type HandoffTokenResult,
  type SealedTokenResult,
  type SessionStatus,
  type TokenResult,
} from '../protocol/index.js';
