/** Checks made once a registration exists, for mistakes that would otherwise fail silently (loaded with the registration). */
import { hint } from './hints.js';

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
