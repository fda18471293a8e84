/**
 * A skip-waiting version that waits anyway, and the nudge that narrows the race.
 *
 * Chromium starts a new version's `activate` event a second after the version takes control
 * (`ServiceWorkerRegistration::ActivateWaitingVersion`'s delay). A next version that
 * installs in that second and calls `skipWaiting()` asks the still-activating worker to
 * stop as soon as it is idle; Chromium then restarts that worker to activate it, and the
 * request to stop is lost with the stopped instance. Pages that keep talking to the worker
 * (the broker's messages do) keep it from ever going idle, so the next version waits for
 * Chromium's lame-duck limit (five minutes). Seen in 4 of 129 runs of proof test 9 on
 * a loaded machine: the page kept its session, the new version stayed `installed`.
 *
 * The nudge: once activated, a broker worker that skips waiting asks a waiting version to
 * call `skipWaiting()` again; in Chromium that asks the now running worker to go idle, and
 * the waiting version takes over within a second (1 of 200 loaded runs still lost it).
 * Only once activated: asking while this worker still activates is what loses the request.
 */
import { PROTOCOL, PROTOCOL_VERSION } from '../protocol/index.js';

/** The message an activated worker posts to its registration's waiting version. */
export const TAKE_OVER = { protocol: PROTOCOL, v: PROTOCOL_VERSION, type: 'takeOver' } as const;

/** Posts {@link TAKE_OVER} to the registration's waiting version, if there is one. */
export function askWaitingVersionToTakeOver(scope: ServiceWorkerGlobalScope): void {
  scope.registration?.waiting?.postMessage(TAKE_OVER);
}

/**
 * True when the message came from a service worker (another version of this one), not a
 * page. The broker never answers those: two workers must not reply to each other forever.
 */
export function isFromServiceWorker(event: ExtendableMessageEvent): boolean {
  const ServiceWorkerClass = (globalThis as { ServiceWorker?: typeof ServiceWorker }).ServiceWorker;
  return ServiceWorkerClass !== undefined && event.source instanceof ServiceWorkerClass;
}

export function isTakeOver(data: unknown): boolean {
  const message = data as Partial<typeof TAKE_OVER> | null;
  return typeof message === 'object' && message !== null && message.protocol === PROTOCOL && message.type === TAKE_OVER.type;
}
