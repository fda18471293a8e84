/** Code split off the page entry (to keep it small) that is wanted soon: loaded at once, shared, tried again after a failure. */

/**
 * Starts `load` now and returns a getter of its result for every caller. A failed load is not
 * kept: the next call loads again and rejects with that attempt's error, so the request that
 * needed the code sees the failure (the early start itself reports none: nobody waits on it).
 */
export function preloaded<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  const get = () =>
    (loaded ??= load().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    }));
  get().catch(() => undefined);
  return get;
}
