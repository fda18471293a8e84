/**
 * The session as a UI store, for any framework (Svelte's store contract, which Solid's `from`,
 * RxJS's `from` and Svelte 5's `fromStore` read as they are): it tells its subscribers only
 * when the session changes (logged in or out, another session, other claims, a failed start),
 * not at every refresh, so a component that fetches the user's data on a change fetches it once.
 */
import type { BrokerClient } from './client.js';
import type { SessionSnapshot } from './session-snapshot.js';

/** The session as a UI shows it: the same object until it changes. */
export interface SessionView {
  /** `starting` until the worker answered; `error` when the broker could not start (see `error`). */
  readonly state: SessionSnapshot['state'] | 'error';
  /** Which session (`status.session`): another after a new login, the same across refreshes. */
  readonly session: string | null;
  /** The id_token's claims, when the provider gave one. */
  readonly claims: Record<string, unknown> | null;
  /** Why the broker could not start (a `BrokerError`, typically `sw-unavailable`), else null. */
  readonly error: unknown;
}

/** Svelte's store contract: `run` now with the current view, then at every change; returns the unsubscription. */
export interface SessionStore {
  subscribe(run: (view: SessionView) => void): () => void;
  /** The current view, without subscribing. */
  get(): SessionView;
}

const STARTING_VIEW: SessionView = Object.freeze({ state: 'starting', session: null, claims: null, error: null });

/**
 * A store of `client`'s session. Give it the promise `registerTokenBroker` returns: until it
 * settles the view is `starting`; if it rejects, `error` (nothing is thrown, nothing is unhandled).
 *
 * @example
 * const session = sessionStore(registerTokenBroker('/sw.js'));
 * session.subscribe((view) => render(view.state, view.claims));
 */
export function sessionStore(client: BrokerClient | PromiseLike<BrokerClient>): SessionStore {
  let view = STARTING_VIEW;
  const runs = new Set<(view: SessionView) => void>();
  const set = (next: SessionView) => {
    if (sameView(view, next)) return;
    view = Object.freeze(next);
    for (const run of [...runs]) run(view);
  };
  const follow = (broker: BrokerClient) => {
    const take = ({ state, status, claims }: SessionSnapshot) => set({ state, session: status?.session ?? null, claims, error: null });
    take(broker.getSnapshot());
    broker.subscribe(take);
  };
  Promise.resolve(client).then(follow, (error: unknown) => set({ state: 'error', session: null, claims: null, error }));
  return {
    subscribe(run) {
      runs.add(run);
      run(view);
      return () => void runs.delete(run);
    },
    get: () => view,
  };
}

function sameView(a: SessionView, b: SessionView): boolean {
  return a.state === b.state && a.session === b.session && a.error === b.error && JSON.stringify(a.claims) === JSON.stringify(b.claims);
}
