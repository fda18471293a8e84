/** The one module the page side (`src/`) and the worker side (`sw/`) share. */
export * from './errors.js';
export * from './messages.js';
export * from './redirect-keys.js';
export * from './allowlist.js';
export * from './vault.js';
export * from './step-up.js';
