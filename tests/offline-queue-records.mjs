// @ts-check
/**
 * In a page of the origin: every record of the offline queue's IndexedDB
 * (workbox-background-sync's `requests` store), as text with the request bodies decoded, so a
 * test can scan what is stored for tokens. Shared by Chromium's tests/e2e/offline.spec.ts and
 * the Firefox and WebKit suite; sent to the browser as source, it uses nothing from this module.
 * @param {string} [queueName] only this queue's records (all of them when empty) (the store is shared by every queue of the origin)
 * @returns {Promise<string[]>}
 */
export const queueRecords = (queueName) =>
  new Promise((resolve, reject) => {
    const open = indexedDB.open('workbox-background-sync');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains('requests')) return resolve([]);
      const all = db.transaction('requests').objectStore('requests').getAll();
      all.onerror = () => reject(all.error);
      all.onsuccess = () => resolve(all.result.filter((/** @type {{ queueName: string }} */ record) => !queueName || record.queueName === queueName).map((/** @type {unknown} */ record) => JSON.stringify(record, (_key, value) => (value instanceof ArrayBuffer ? new TextDecoder().decode(value) : value))));
    };
  });
