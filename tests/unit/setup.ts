// Workbox's modules (workbox-background-sync, imported by the worker entry) reach for the
// worker's `self` when they load outside production; Node has none.
(globalThis as { self?: unknown }).self ??= globalThis;
