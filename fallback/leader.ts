/**
 * One tab leads (`election.ts`: a Web Lock held while it lives) and runs the page-side broker;
 * the other tabs send it their requests over a BroadcastChannel and hear its events there.
 * So there is one broker for the origin, as with the worker, and one refresh for all tabs
 * (the broker's own lock serialises them as well). When the leading tab closes, the next
 * waiting tab takes the lock, starts its broker from storage (as a restarted worker does), and
 * says so; requests in flight are sent again when that is safe (`REQUEST_TYPES[type].resendable`).
 */
import { BrokerTimeoutError, PROTOCOL, PROTOCOL_VERSION, REQUEST_TYPES, errorFromWire, isBrokerEvent, toWireError, type BrokerEvent, type BrokerReply, type OkReply, type RequestFieldsByType, type RequestType } from '../protocol/index.js';
import type { BrokerTransport } from '../src/transport.js';
import type { Election, ElectionHandle } from './election.js';
import type { PageBroker } from './page-broker.js';

type ChannelMessage =
  | { kind: 'request'; id: string; message: unknown }
  | { kind: 'reply'; id: string; reply: BrokerReply }
  | { kind: 'event'; event: BrokerEvent }
  | { kind: 'leader' }
  | { kind: 'who-leads' };

interface Pending {
  type: RequestType;
  message: unknown;
  resolve: (reply: BrokerReply) => void;
  /** Whether a leader may have received it (a request posted while none was known is posted again when one appears). */
  heard: boolean;
}

let counter = 0;
/** How many answered request ids a leader remembers, to answer a repeated one without running it again. */
const MAX_REMEMBERED = 200;
/** A request unanswered this long asks whether a leader is still there. */
const PROBE_AFTER_MS = 3_000;

export class LeaderTransport implements BrokerTransport {
  readonly scope: string;
  readonly #channel: BroadcastChannel;
  readonly #timeoutMs: number;
  readonly #pending = new Map<string, Pending>();
  readonly #listeners: Array<(data: unknown) => void> = [];
  /** Set once this tab leads and its broker started. */
  #broker: Promise<PageBroker> | undefined;
  #leaderKnown = false;
  #closed = false;
  /** The replies this leader gave, by request id (the last {@link MAX_REMEMBERED}). */
  readonly #answered = new Map<string, Promise<BrokerReply>>();
  readonly #election: ElectionHandle;

  /**
   * @param name the broker's name: the lock's, the channel's and the storage's namespace.
   * @param start starts this tab's broker when it comes to lead; its events go to `deliver`.
   */
  constructor(name: string, scope: string, timeoutMs: number, election: Election, start: (deliver: (event: BrokerEvent) => void) => Promise<PageBroker>) {
    this.scope = scope;
    this.#timeoutMs = timeoutMs;
    this.#channel = new BroadcastChannel(`sw-token-broker:fallback:${name}`);
    this.#channel.onmessage = (event: MessageEvent<ChannelMessage>) => void this.#onChannel(event.data);
    this.#election = election(() => {
      if (this.#closed) return;
      this.#broker = start((event) => this.#deliver(event));
      void this.#broker.then(
        () => this.#post({ kind: 'leader' }),
        () => undefined, // every request gets the reason (`#answer`)
      );
      // What this tab asked before it led is answered here now, when no leader had it or it is safe to repeat.
      for (const [id, pending] of this.#pending) if (!pending.heard || REQUEST_TYPES[pending.type].resendable) void this.#answerHere(id, pending.message);
    });
    this.#post({ kind: 'who-leads' });
  }

  listen(receive: (data: unknown) => void): void {
    this.#listeners.push(receive);
  }

  close(): void {
    this.#closed = true;
    this.#listeners.length = 0;
    this.#election.close();
    this.#channel.close();
  }

  send<T extends RequestType>(type: T, fields: RequestFieldsByType[T]): Promise<OkReply<T>> {
    const id = `${Date.now().toString(36)}-${(++counter).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const message = { ...fields, type, protocol: PROTOCOL, v: PROTOCOL_VERSION, id };
    return new Promise<OkReply<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        clearTimeout(unanswered);
        if (!this.#pending.delete(id)) return;
        reject(new BrokerTimeoutError(`The tab running the broker did not answer '${type}' within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      // No answer for a while: is a leader still there? (Without Web Locks, a closed or frozen one is found so.)
      const unanswered = setTimeout(() => this.#pending.has(id) && this.#election.probe(), PROBE_AFTER_MS);
      this.#pending.set(id, {
        type,
        message,
        heard: this.#leaderKnown,
        resolve: (reply) => {
          clearTimeout(timer);
          clearTimeout(unanswered);
          if (reply.ok) resolve(reply as OkReply<T>);
          else reject(errorFromWire(reply.error));
        },
      });
      if (this.#broker) void this.#answerHere(id, message);
      else this.#post({ kind: 'request', id, message });
    });
  }

  async #answerHere(id: string, message: unknown): Promise<void> {
    const reply = await this.#answer(message);
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    pending.resolve(reply);
  }

  async #onChannel(data: ChannelMessage): Promise<void> {
    if (typeof data !== 'object' || data === null) return;
    if (data.kind === 'event') {
      if (isBrokerEvent(data.event)) for (const listener of this.#listeners) listener(data.event);
    } else if (data.kind === 'reply') {
      const pending = this.#pending.get(data.id);
      if (!pending) return;
      this.#pending.delete(data.id);
      pending.resolve(data.reply);
    } else if (data.kind === 'request') {
      if (!this.#broker || typeof data.id !== 'string') return;
      // A request sent again (its tab learnt of this leader late) is answered once: a login never runs twice.
      let reply = this.#answered.get(data.id);
      if (!reply) {
        reply = this.#answer(data.message);
        this.#answered.set(data.id, reply);
        if (this.#answered.size > MAX_REMEMBERED) this.#answered.delete(this.#answered.keys().next().value!);
      }
      this.#post({ kind: 'reply', id: data.id, reply: await reply });
    } else if (data.kind === 'who-leads') {
      if (this.#broker) this.#post({ kind: 'leader' });
    } else if (data.kind === 'leader') {
      this.#leaderKnown = true;
      // A new leader: what no leader heard, and what is safe to repeat, goes to it.
      for (const [id, pending] of this.#pending) {
        if (pending.heard && !REQUEST_TYPES[pending.type].resendable) continue;
        pending.heard = true;
        this.#post({ kind: 'request', id, message: pending.message });
      }
    }
  }

  /** This tab's broker's answer; a broker that could not start answers with why. */
  async #answer(message: unknown): Promise<BrokerReply> {
    const id = (message as { id?: unknown } | null)?.id;
    try {
      return await (await this.#broker!).answer(message);
    } catch (error) {
      return { ok: false, id: typeof id === 'string' ? id : undefined, error: toWireError(error) };
    }
  }

  /** An event of this tab's broker: to every other tab over the channel, and to this tab's client. */
  #deliver(event: BrokerEvent): void {
    this.#post({ kind: 'event', event });
    for (const listener of this.#listeners) listener(event);
  }

  #post(message: ChannelMessage): void {
    if (!this.#closed) this.#channel.postMessage(message);
  }
}
