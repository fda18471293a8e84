/**
 * The cool-down after a failed refresh: an identity provider that is already failing is
 * not asked again by every tab. After a refresh request fails with a retryable error,
 * refreshes within the cool-down get that error at once, without a request. The delay
 * doubles with each failure in a row, from 1 s to about a minute, never less than the
 * server's `Retry-After`, and any success resets it.
 */
import { errorFromWire, toWireError, type BrokerError } from '../protocol/index.js';

const FIRST_DELAY_MS = 1_000;
const MAX_DELAY_MS = 60_000;

export class CoolDown {
  #failures = 0;
  #until = 0;
  #error: BrokerError | undefined;

  /** Epoch ms before which no refresh request is sent, or undefined when none is pending. */
  retryAt(now: number): number | undefined {
    return now < this.#until ? this.#until : undefined;
  }

  /** The error to answer with instead of a request, or undefined when a request may go out. */
  blocked(now: number): BrokerError | undefined {
    if (!this.#error || now >= this.#until) return undefined;
    const wire = toWireError(this.#error);
    return errorFromWire({ ...wire, details: { ...wire.details, retryAt: this.#until } }, this.#error);
  }

  /**
   * Records a failed refresh request and returns the error to give its callers, which
   * now carries the retry time.
   */
  failed(error: BrokerError, now: number): BrokerError {
    this.#failures++;
    const backoff = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (this.#failures - 1));
    this.#until = Math.max(now + backoff, error.details?.retryAt ?? 0);
    this.#error = error;
    return this.blocked(now) ?? error;
  }

  succeeded(): void {
    this.#failures = 0;
    this.#until = 0;
    this.#error = undefined;
  }
}
