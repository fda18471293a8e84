/**
 * The layout every demo page shares, built from one template so the pages differ only in
 * their texts. The texts are the pages' own constants, never user input.
 */

export interface PageText {
  /** Which nav entry is this page: its path. */
  path: string;
  /** The heading; the tab's name is added after it. */
  heading: string;
  intro: string;
  /** Where this page's refresh token is kept. */
  refreshTokenKeptIn: string;
  hint: string;
  /** True: the page shows the offline queue's panel (its worker has `offlineQueue`). */
  offline?: boolean;
}

const NAV: Array<[string, string]> = [
  ['/', 'With the broker'],
  ['/sealed/', 'Sealed mode'],
  ['/offline/', 'Offline writes'],
  ['/dpop/', 'Sealed + DPoP'],
  ['/dpop-handoff/', 'Handoff + DPoP'],
  ['/apis/', 'Several APIs'],
  ['/vault/', 'Vault'],
  ['/pwa/', 'PWA'],
  ['/workbox/', 'Workbox'],
  ['/classic/', 'importScripts'],
  ['/recipe.html', 'Without it (the usual recipe)'],
];

const BROKER_HINT =
  'Try it: open three tabs (each gets an animal name, next to the heading), log in, then either wait for the access token to expire or press “Expire the access token at the server”, and press “…in every tab at once” (what happens when a laptop wakes up and every tab polls). After the expiry at the server the 401s go up, refreshes by one, reuse stays at zero.';

/** Texts of the pages that use the broker, by path. */
export const PAGES: Record<string, PageText> = {
  '/': {
    path: '/',
    heading: 'One session for every tab',
    intro:
      'The service worker holds the refresh token and performs every refresh for every tab of this origin. Open three tabs, log in, wait until the access token expires, and fire calls in each: the server sees one refresh and no reuse.',
    refreshTokenKeptIn: 'the service worker (IndexedDB); this page never sees it',
    hint: BROKER_HINT,
  },
  '/offline/': {
    path: '/offline/',
    heading: 'Writes made offline',
    intro:
      "Handoff mode, with the worker's offline queue: a write to this origin's /api/ that fails because the network is gone is kept (its token is not) and replayed, in order, with a fresh token when the network returns. Same server and counters; its own worker, scope and session. The sealed demo has the queue too.",
    refreshTokenKeptIn: 'the service worker (IndexedDB); this page never sees it',
    hint: BROKER_HINT,
    offline: true,
  },
  '/sealed/': {
    path: '/sealed/',
    heading: 'Sealed mode: no token in the page',
    intro:
      "Here the page never receives any token: the service worker adds the Authorization header itself, in its fetch handler, to requests for this origin's /api/ only. Same server and counters; its own worker, scope and session.",
    refreshTokenKeptIn: 'the service worker (IndexedDB); this page sees neither it nor the access token',
    hint: BROKER_HINT,
    offline: true,
  },
  '/vault/': {
    path: '/vault/',
    heading: 'Vault mode: no token anywhere in this origin',
    intro:
      "The session lives on another origin, the vault (here http://localhost with this port), in a hidden frame whose own service worker holds both tokens. This page sends request descriptions to the frame; the vault makes them with the token and returns the responses. Script injected into this page can use the session while it runs, but can read no token: none exists in this origin's memory, storages or caches.",
    refreshTokenKeptIn: "the vault's service worker (IndexedDB of the vault's origin); this origin has neither token",
    hint: BROKER_HINT,
  },
  '/dpop/': {
    path: '/dpop/',
    heading: 'Sealed + DPoP: a copied token is useless',
    intro:
      'Sealed mode, and every token is bound (DPoP, RFC 9449) to a key pair the worker generated with a non-extractable private key. A refresh token copied out of IndexedDB is refused by the server without a proof from that key. Same server and counters; its own worker, scope and session.',
    refreshTokenKeptIn: "IndexedDB, bound to the worker's non-extractable key",
    hint: BROKER_HINT,
  },
  '/dpop-handoff/': {
    path: '/dpop-handoff/',
    heading: 'Handoff + DPoP: the page sends the token, the worker signs each request',
    intro:
      'Handoff mode (your axios sends the requests, with the token), and the tokens are bound (DPoP, RFC 9449) to a key the worker generated and cannot export. For every request the page asks the worker for a proof for that method, URL and token: a token copied out of this page is refused by the server without one. Same server and counters; its own worker, scope and session.',
    refreshTokenKeptIn: "IndexedDB, bound to the worker's non-extractable key",
    hint: BROKER_HINT,
  },
  '/apis/': {
    path: '/apis/',
    heading: 'Several APIs: one refresh token, one access token each',
    intro:
      "One broker calls two APIs: this origin's /api/ with the login's token, and a second API on another origin (the demo server's second port) that takes only tokens issued for its audience. The worker gets that token with the refresh grant and <code>audience</code> (Auth0's name; <code>resource</code> for RFC 8707 providers), through the same single flight as every refresh: each grant rotates the one refresh token. Same server and counters; its own worker, scope and session.",
    refreshTokenKeptIn: 'the service worker (IndexedDB); this page never sees it',
    hint: BROKER_HINT,
  },
  '/pwa/': {
    path: '/pwa/',
    heading: 'An installable PWA with the broker <span class="muted" id="app-version"></span>',
    intro:
      'A Vite app built with vite-plugin-pwa (injectManifest). Its own service worker precaches the app shell with Workbox, caches the counters at runtime, and runs the token broker in sealed mode. Reload it offline: the shell comes from the precache.',
    refreshTokenKeptIn: 'the service worker (IndexedDB); this page sees neither it nor the access token',
    hint: BROKER_HINT,
  },
  '/workbox/': {
    path: '/workbox/',
    heading: 'A plain Workbox worker with the broker',
    intro:
      "The PWA example's worker source, bundled by Vite and given its precache manifest by workbox-build's injectManifest, without vite-plugin-pwa. Workbox precaches this page's shell; the broker signs the API requests (sealed mode). Its own scope and session.",
    refreshTokenKeptIn: 'the service worker (IndexedDB); this page sees neither it nor the access token',
    hint: BROKER_HINT,
  },
  '/classic/': {
    path: '/classic/',
    heading: 'A classic worker with importScripts',
    intro:
      "This page's worker is a plain classic script, not bundled, that loads the broker's classic build with importScripts and calls SwTokenBroker.installTokenBroker. Handoff mode; its own scope and session.",
    refreshTokenKeptIn: 'the service worker (IndexedDB); this page never sees it',
    hint: BROKER_HINT,
  },
  '/recipe.html': {
    path: '/recipe.html',
    heading: 'The usual recipe, per tab',
    intro:
      'Each tab runs the familiar axios interceptor: an isRefreshing flag, a queue of subscribers, tokens in localStorage. It works in one tab. With several, every tab refreshes on its own, the server sees a rotated refresh token presented again, and revokes the session for all.',
    refreshTokenKeptIn: 'localStorage, readable by any script on the page',
    hint: 'Try it: open three tabs, log in, press “Expire the access token at the server” (or wait for it to expire), then “…in every tab at once”. Each tab gets its 401s and refreshes on its own: watch refreshes and “reuse detected” go up, and every tab get logged out.',
  },
};

/** The offline queue's panel: go offline, write in two tabs, come back, watch the writes arrive in order. */
const OFFLINE_CARD = `<section class="card" id="offline-card">
    <h2>Writes made offline <span class="muted">(the offline queue, all tabs)</span></h2>
    <p class="hint">Try it: open a second tab, log in, press “Take the network down”, write a note in each tab (the worker keeps them: 202 Accepted), press “Expire the access token at the server”, then “Bring the network back”. The notes arrive in the order they were written, each once, with one refresh.</p>
    <div class="actions">
      <button id="network-toggle" title="The demo server drops every connection but its counters: what this browser sees when the network is gone">Take the network down</button>
      <input id="note-text" aria-label="Note" maxlength="200" />
      <button id="write-note" class="primary">Write a note</button>
    </div>
    <dl class="facts offline-facts">
      <dt>Network</dt><dd><span id="network-state" class="pill pill-ok">up</span></dd>
      <dt>Waiting in the queue</dt><dd id="queue-pending">0</dd>
    </dl>
    <h3>Notes the server received, in order</h3>
    <ol id="notes" class="notes"><li class="muted">none yet</li></ol>
  </section>`;

/** Renders the page for `path` into the body, before the page's script runs its logic. */
export function renderLayout(path: keyof typeof PAGES & string): void {
  const page = PAGES[path];
  const nav = NAV.map(([href, label]) => `<a href="${href}"${href === page.path ? ' class="active"' : ''}>${label}</a>`).join('\n');
  document.body.insertAdjacentHTML(
    'afterbegin',
    `<header class="top">
  <div class="brand">sw-token-broker <span class="muted">demo</span></div>
  <nav>${nav}</nav>
</header>
<main>
  <section class="intro">
    <h1>${page.heading} <span class="tab-name" id="tab-name" title="This tab's name, kept for the tab's life: each line of the event log comes from the tab that shows it"></span></h1>
    <p>${page.intro}</p>
  </section>
  <div class="grid">
    <section class="card">
      <h2>Session <span class="muted">(this tab)</span></h2>
      <dl class="facts">
        <dt>State</dt><dd><span id="session-state" class="pill pill-off">…</span></dd>
        <dt>Access token expires in</dt><dd id="token-expiry">—</dd>
        <dt>Session ends in</dt><dd id="session-end">—</dd>
        <dt>Refresh token kept in</dt><dd>${page.refreshTokenKeptIn}</dd>
      </dl>
      <form id="login-form" class="login">
        <label>User <input name="username" value="demo" autocomplete="username" /></label>
        <label>Password <input name="password" type="password" value="demo" autocomplete="current-password" /></label>
        <button type="submit" id="login" class="primary">Log in</button>
        <button type="button" id="login-popup">…in a popup</button>
      </form>
      <div class="actions">
        <button id="fire" class="primary">Fire 10 parallel API calls</button>
        <button id="fire-all" class="primary">…in every tab at once</button>
        <button id="expire" title="The API answers 401 from now on until a refresh, though every tab still thinks its token is good">Expire the access token at the server</button>
        <button id="step-up" hidden title="An API that wants a login of the last minute (RFC 9470): after that it answers a step-up challenge, which is no reason to refresh">Call an API that needs a recent login</button>
        <button id="logout">Log out</button>
        <button id="logout-provider" hidden title="Also ends the identity provider's session (RP-initiated logout): the next login asks for the password again">…and at the provider</button>
        <button id="open-tab">Open another tab</button>
      </div>
    </section>
    <section class="card">
      <h2>Server counters <span class="muted">(all tabs)</span></h2>
      <div class="counters">
        <div class="counter"><span id="count-logins">0</span>logins</div>
        <div class="counter"><span id="count-refreshes">0</span>refreshes</div>
        <div class="counter"><span id="count-reuseDetected">0</span>reuse detected</div>
        <div class="counter"><span id="count-apiCalls">0</span>API calls</div>
        <div class="counter"><span id="count-api401">0</span>401s</div>
      </div>
      <button id="reset-counters" class="link">Reset counters</button>
      <p class="hint">${page.hint}</p>
    </section>
  </div>
${page.offline ? OFFLINE_CARD : ''}
  <section class="card">
    <h2>Event log</h2>
    <ol id="log" class="log"></ol>
  </section>
</main>`,
  );
}
