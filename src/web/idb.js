// The two IndexedDB steps that need an event handler of their own: creating
// the object stores in an upgrade, and stepping aside when another
// connection upgrades or deletes the database.

// Opens `name` at `version`, creates whichever of `stores` are missing,
// closes it again. Rejects with the request's DOMException.
export function createStores(name, version, ...stores) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, version);
    request.onupgradeneeded = () => {
      const db = request.result;
      for (const store of stores) {
        if (!db.objectStoreNames.contains(store)) db.createObjectStore(store);
      }
    };
    request.onsuccess = () => {
      request.result.close();
      resolve();
    };
    request.onerror = () => reject(request.error);
  });
}

// Closes `db` and calls `then` when another connection wants to upgrade or
// delete the database, so that this one never blocks it.
export function closeOnVersionChange(db, then) {
  db.addEventListener(
    "versionchange",
    () => {
      db.close();
      then();
    },
    { once: true },
  );
}
