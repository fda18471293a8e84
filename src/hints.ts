/**
 * Hints for mistakes that otherwise fail silently: a console warning, once each, never an
 * error. They say what the broker saw and what to change.
 */

const said = new Set<string>();

/** Warns once per `key`. */
export function hint(key: string, message: string): void {
  if (said.has(key)) return;
  said.add(key);
  console.warn(`sw-token-broker: ${message}`);
}

/**
 * Development only (the page is served from localhost, 127.0.0.1, [::1] or *.localhost),
 * so production consoles stay quiet: bundlers differ in how they mark a development build.
 */
export function isDevelopment(): boolean {
  if (typeof location === 'undefined') return false;
  const host = location.hostname;
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host.endsWith('.localhost');
}

/**
 * After registering: warns when this page is outside the registration's scope (it will
 * never be controlled, so sealed-mode requests go out unsigned), and when the same script
 * is registered under another scope too (each registration is a separate worker with a
 * separate session in handoff mode; usually a `scope` option that differs between pages).
 */
export async function checkRegistration(registration: ServiceWorkerRegistration): Promise<void> {
  const scope = registration.scope;
  if (!location.href.startsWith(scope)) {
    hint(`outside-scope:${scope}`, `this page (${location.pathname}) is outside the worker's scope ${scope}: the worker will never control it. Serve the worker from a path above the page, or set its scope (and the Service-Worker-Allowed header).`);
  }
  const script = (registration.active ?? registration.waiting ?? registration.installing)?.scriptURL;
  if (!script) return;
  const registrations = await navigator.serviceWorker.getRegistrations().catch(() => []);
  const twins = registrations.filter((other) => other.scope !== scope && (other.active ?? other.waiting ?? other.installing)?.scriptURL === script);
  if (twins.length > 0) {
    hint(`twin:${script}`, `${script} is registered under ${twins.length + 1} scopes (${[scope, ...twins.map((t) => t.scope)].join(', ')}): each is a separate worker with its own session. Register it with one scope on every page.`);
  }
}
