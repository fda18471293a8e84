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
