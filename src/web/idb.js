// Opening and upgrading the database, a read-modify-write of one record in
// one transaction, and stepping aside for another connection (see
// browser.js for the library's other modules).

// ---- IndexedDB (src/web/idb.rs) ----

// The databases whose upgrade by this context another connection blocks:
// the upgrade stays queued until that connection closes, and any open of the
// database waits behind it.
const blocked = new Set();

function blockedError() {
  const error = new Error(
    "another connection to the database blocks its upgrade: it stays open when asked to close (a tab running an older version of this app?)",
  );
  error.name = "BlockedError";
  return error;
}

// Whether this scope has an indexedDB (one that throws when read is none).
export function hasIndexedDB() {
  try {
    return globalThis.indexedDB != null;
  } catch {
    return false;
  }
}

// Why this scope has no IDBFactory to open a database with: what reading
// `indexedDB` throws (a sandboxed frame, say), else an Error saying so.
export function indexedDBFailure() {
  try {
    void globalThis.indexedDB;
  } catch (error) {
    return error;
  }
  return new Error("indexedDB is not available in this context");
}

// Opens `name` with `factory` (an IDBFactory) at the version it has (version
// 1, empty, if it did not exist). Rejects with the request's DOMException, or
// with whatever `factory.open` threw (storage disabled, say).
export function openDatabase(factory, name) {
  return new Promise((resolve, reject) => {
    const request = factory.open(name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

// Closes the connection `open` (a promise of openDatabase) opens, once it
// opens: its opener went away.
export function closeOnceOpen(open) {
  open.then((db) => db.close(), () => {});
}

// Opens `name` at `version`, creates whichever of `stores` are missing,
// closes it again. Rejects with the request's DOMException, or at once when
// another connection blocks the upgrade (one that stays open on
// versionchange: the request would wait for as long as it lives; should it
// go through later, its connection is closed).
export function createStores(name, version, ...stores) {
  return new Promise((resolve, reject) => {
    const over = () => blocked.delete(name);
    const request = indexedDB.open(name, version);
    request.onupgradeneeded = () => {
      const db = request.result;
      for (const store of stores) {
        if (!db.objectStoreNames.contains(store)) db.createObjectStore(store);
      }
    };
    request.onsuccess = () => {
      over();
      request.result.close();
      resolve();
    };
    request.onerror = () => {
      over();
      reject(request.error);
    };
    request.onblocked = () => {
      blocked.add(name);
      reject(blockedError());
    };
  });
}

// The error createStores rejected with, while the upgrade it started of
// `name` is still blocked (an open now would wait behind it), else undefined.
export function stillBlocked(name) {
  return blocked.has(name) ? blockedError() : undefined;
}

// Does `db` have every one of `stores`?
export function hasStores(db, ...stores) {
  return stores.every((store) => db.objectStoreNames.contains(store));
}

// The fields `keys` (names joined by ",") of a stored record, in that order:
// one call for a record's fields instead of one per field. A field whose
// getter throws reads as undefined (missing); IndexedDB's own values have no
// getters.
export function recordFields(value, keys) {
  return keys.split(",").map((key) => {
    try {
      return value[key];
    } catch {
      return undefined;
    }
  });
}

// In one readwrite transaction on `store` of `db`: reads the value under
// `key`, passes it to `decide` (undefined if none), and makes the change
// `decide` returns: undefined changes nothing, null deletes, any other value
// is put under `key`. Resolves once the transaction has committed. Rejects
// with [step, error], step 0 starting the transaction, 1 reading, 2 writing
// or deleting (also when the write request fails later, in its own error
// event, whether the transaction then aborts or commits), 3 committing. A
// `decide` that throws (its caller went away) aborts the transaction:
// nothing is written.
export function updateValue(db, store, key, decide) {
  return new Promise((resolve, reject) => {
    let step = 0;
    // A write request's own failure: Firefox still commits the transaction
    // after commit() (the change not made), WebKit aborts it with no error.
    let failure;
    let transaction;
    try {
      transaction = db.transaction(store, "readwrite");
      const objects = transaction.objectStore(store);
      step = 1;
      const read = objects.get(key);
      read.onsuccess = () => {
        try {
          const next = decide(read.result);
          step = 2;
          let write;
          if (next === null) write = objects.delete(key);
          else if (next !== undefined) write = objects.put(next, key);
          // Every request of an aborted transaction fails with AbortError:
          // that one is the commit's failure, not the write's.
          if (write) {
            write.onerror = () => {
              if (write.error?.name !== "AbortError") failure = [2, write.error];
            };
          }
          step = 3;
        } catch (error) {
          reject([step, error]);
          transaction.abort();
          return;
        }
        try {
          transaction.commit?.();
        } catch {
          // Already aborted (by a step of its own): its abort event says why.
        }
      };
    } catch (error) {
      reject([step, error]);
      try {
        transaction?.abort();
      } catch {
        // Not started, or already over: nothing to undo.
      }
      return;
    }
    transaction.oncomplete = () => (failure ? reject(failure) : resolve());
    transaction.onabort = () => {
      const error = transaction.error ?? new DOMException("the transaction was aborted", "AbortError");
      reject(failure ?? [step, error]);
    };
  });
}

// Closes `db` and calls `then` (once) when another connection wants to
// upgrade or delete the database, so that this one never blocks it, or
// when the browser has closed it (the site's data cleared, say), so that
// the next use opens a new one.
export function stepAside(db, then) {
  const leave = () => {
    db.removeEventListener("versionchange", leave);
    db.removeEventListener("close", leave);
    db.close();
    then();
  };
  db.addEventListener("versionchange", leave);
  db.addEventListener("close", leave);
}
