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

/**
 * What a failed `register()` most likely means, for the two mistakes every newcomer meets
 * under a dev server: the script URL answered with HTML (`vite dev` serves the worker
 * elsewhere), or a module worker registered as classic. Undefined for anything else.
 */
export function registrationMistake(error: unknown, type: WorkerType | undefined): string | undefined {
  const message = String((error as Error | null)?.message ?? error);
  if (/MIME|Content-Type/i.test(message)) {
    return "the server answered the worker's URL with something other than JavaScript (often a dev server's index.html): under `vite dev` with vite-plugin-pwa the worker is at '/dev-sw.js?dev-sw' and is a module, so register import.meta.env.DEV ? '/dev-sw.js?dev-sw' : '/sw.js' with { type: import.meta.env.DEV ? 'module' : 'classic' } (devOptions.enabled on)";
  }
  if (/evaluation failed|error during installation|import statement|Cannot use import/i.test(message)) {
    return type === 'module'
      ? 'the worker script threw while starting: its own error is in the worker console (chrome://serviceworker-internals, about:debugging)'
      : "the worker script threw while starting: a script with `import` (as a dev server serves it, unbundled) needs { type: 'module' } in registerTokenBroker's options; otherwise its own error is in the worker console";
  }
  return undefined;
}
