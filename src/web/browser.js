// The few steps of the browser adapters that are plain JavaScript: one Web
// Locks request, disposable abort waits, opening the database and its
// upgrade, a plain read and a read-modify-write of one record, stepping
// aside on versionchange (or after the browser closed the connection), a
// session's listeners on its BroadcastChannel, the executor's one callback
// for every awaited promise, the classes' `[Symbol.dispose]`, and looking at
// the caller's values safely. The package writes it into wasm-bindgen's
// glue (scripts/package.mjs). One module, not one per adapter: the browser
// tests load it as wasm-bindgen leaves it, and each module more is one more
// request made at once with the others, where the tests' runner (whose HTTP
// server starts four threads) can leave a connection of such a burst unserved.

// ---- Web Locks (src/web/locks.rs) ----

// navigator.locks where it can request a lock, else null (reading it may
// throw, as a sandboxed frame's may).
export function lockManager() {
  try {
    const locks = globalThis.navigator?.locks;
    return typeof locks?.request === "function" ? locks : null;
  } catch {
    return null;
  }
}

// The last request of this context released, by lock name: its promise
// settles once the lock manager has freed the lock, a few promise reactions
// after the holder let go. An only-if-available request waits for it, so
// that a lock released here is free for a request made right after.
const released = new Map();

// One Web Locks request, held until its release function is called.
// `granted` resolves with that function once the lock is held, or with null
// when an `ifAvailable` request finds the lock taken; it rejects when the
// request fails or is aborted. `abandon()` is for a waiter that went away:
// a lock granted to nobody is released at once, and a rejection nobody
// awaits is swallowed. `how`: 0 queues (until abandoned), 1 asks only if the
// lock is available, 2 steals it (the options are built here, so that no
// option name crosses from wasm on every request).
//
// Given `db`, `store` and `key`, the grant also starts reading that record
// (`readValue`) in the same callback, before wasm hears of the grant: the
// first thing a holder does is that read. `read()` returns it (undefined if
// none was started); a failed read nobody awaits is swallowed.
export function requestLock(locks, name, how, db, store, key) {
  const options = { mode: "exclusive" };
  const queue = how === 0 ? new AbortController() : undefined;
  if (queue) options.signal = queue.signal;
  else if (how === 1) options.ifAvailable = true;
  else options.steal = true; // 2, from WaitKind::Steal (src/web/locks.rs)
  let abandoned = false;
  let release;
  let read;
  let done; // settles once the lock manager has freed this request's lock
  const held = new Promise((resolve) => {
    release = resolve;
  });
  const letGo = () => {
    if (done) released.set(name, done);
    release();
  };
  const granted = new Promise((resolve, reject) => {
    const ask = () => {
      if (abandoned) return resolve(null);
      done = locks.request(name, options, (lock) => {
        // A request given up once its grant was decided (aborting it no
        // longer withdraws it) settles too: a promise left pending would
        // keep its waiter's callbacks for ever. The lock is freed at once.
        if (lock === null || abandoned) return resolve(null);
        if (db) {
          read = readValue(db, store, key);
          read.catch(() => {});
        }
        resolve(letGo);
        return held;
      });
      done.catch(reject);
    };
    const before = how === 1 && released.get(name);
    // A request that throws rejects `granted`, also when made after that
    // release (nothing else would end an only-if-free wait).
    if (before) before.then(ask, ask).catch(reject);
    else ask();
  });
  const abandon = () => {
    abandoned = true;
    queue?.abort();
    letGo();
    granted.catch(() => {});
  };
  return { granted, abandon, read: () => read };
}

// What `navigator.locks.query()` tells of the lock `name`: how many hold it,
// how many requests wait for it, and the client IDs of its holders (read
// here, so that no entry of another lock crosses to wasm; an ID that is not
// a string is left out, so the count may exceed the IDs listed).
export async function queryLock(locks, name) {
  const { held = [], pending = [] } = await locks.query();
  const ours = (list) => list.filter((lock) => lock.name === name);
  const holders = ours(held);
  const ids = holders.map((lock) => lock.clientId).filter((id) => typeof id === "string");
  return [holders.length, ours(pending).length, ids];
}

// ---- abort signals (src/web/wait.rs) ----

// An abort signal as a promise that can be disposed of: a wait that ends
// otherwise removes its listener. Disposing also settles the promise, so
// that whatever awaits it is let go (a promise that never settles would keep
// its callbacks, and what they hold, for ever).
export function whenAborted(signal) {
  let settle;
  const promise = new Promise((resolve) => {
    settle = resolve;
  });
  if (signal.aborted) {
    settle(signal.reason);
    return { promise, dispose: () => {} };
  }
  const onAbort = () => settle(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  const dispose = () => {
    signal.removeEventListener("abort", onAbort);
    settle();
  };
  return { promise, dispose };
}

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

// The value under `key` in object store `store` of `db` (undefined if
// none): one request in a readonly transaction of its own, which commits by
// itself. Rejects with the DOMException of whichever step failed. Given
// `ahead`, the same read started earlier (see requestLock), its value, or if
// it failed (its connection closed meanwhile, say), that of a read made now.
export function readValue(db, store, key, ahead) {
  if (ahead) return ahead.catch(() => readValue(db, store, key));
  return new Promise((resolve, reject) => {
    const request = db.transaction(store, "readonly").objectStore(store).get(key);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
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

// ---- notifications (src/web/broadcast.rs) ----

// A channel named `name`, or null where this context has no
// BroadcastChannel (or cannot make one).
export function openChannel(name) {
  try {
    return typeof BroadcastChannel === "function" ? new BroadcastChannel(name) : null;
  } catch {
    return null;
  }
}

// One session's listeners on its BroadcastChannel (`channel` null where
// there is none: nothing is heard). `add(listener)` returns the function that
// removes it (harmless twice); `clear()` removes every listener. The channel
// has a message handler only while there is a listener: a context that
// listens to nothing does no work when another writes. A message is heard
// only if it is well formed ("refreshed" or "logout", this session, a "0x…"
// hash or null, a number as the generation); listeners get an event built
// from those fields alone, each in turn and only while still subscribed (one
// may unsubscribe another, or close the manager); one that throws is
// reported on the console and the others are still called.
export function sessionListeners(channel, session) {
  let list = [];
  const listen = () => channel && (channel.onmessage = list.length ? hear : null);
  const hear = ({ data }) => {
    const { type, dbHash, generation } = Object(data);
    if (
      (type === "refreshed" || type === "logout") &&
      Object(data).session === session &&
      typeof generation === "number" &&
      (dbHash === null || (typeof dbHash === "string" && dbHash.startsWith("0x")))
    ) {
      const event = { type, session, dbHash, generation };
      for (const entry of list) {
        if (!list.includes(entry)) continue;
        const { listener } = entry;
        try {
          listener(event);
        } catch (error) {
          console.error("cross-tab-refresh: a subscribe() listener threw", error);
        }
      }
    }
  };
  return {
    add(listener) {
      const entry = { listener };
      list = [...list, entry];
      listen();
      return () => {
        list = list.filter((other) => other !== entry);
        listen();
      };
    },
    clear() {
      list = [];
      listen();
    },
  };
}

// Posts `{ type, session, dbHash, generation }` on `channel`; a closed
// channel's error is ignored (the write it reports happened).
export function post(channel, type, session, dbHash, generation) {
  try {
    channel.postMessage({ type, session, dbHash, generation });
  } catch {
    // Best effort.
  }
}

// ---- Symbol.dispose (src/api/dispose.rs) ----

// Points `[Symbol.dispose]` of the class of `instance` at its idempotent
// `method` (wasm-bindgen's own frees the object, after which every call
// fails). Does nothing where `Symbol.dispose` does not exist, or once done
// (changing a prototype costs every later call on its instances).
export function wireDispose(instance, method) {
  const prototype = Object.getPrototypeOf(instance);
  if (
    typeof Symbol.dispose === "symbol" &&
    typeof prototype[method] === "function" &&
    prototype[Symbol.dispose] !== prototype[method]
  ) {
    prototype[Symbol.dispose] = prototype[method];
  }
}

// ---- the caller's values (src/api/fields.rs, src/api/handlers.rs) ----
// Each step here may meet a value that throws when looked at (a revoked
// proxy, keys that cannot be listed, a promise whose `then` is not a
// function): caught here, as nothing may throw through the module.

// The first own key of `object` not among `known` (names joined by ", "),
// null if there is none, or true if its keys cannot be listed.
export function unknownKey(object, known) {
  try {
    const names = known.split(", ");
    return Object.keys(object).find((key) => !names.includes(key)) ?? null;
  } catch {
    return true;
  }
}

// What a field whose getter (or proxy trap) throws reads as: no check
// accepts it, and typeOf names it.
const unreadable = Object.freeze({});

// `object[key]`, or `unreadable` if reading it throws.
export function field(object, key) {
  try {
    return object[key];
  } catch {
    return unreadable;
  }
}

// A lone surrogate: a string with one has no UTF-8 form.
const lone = /\p{Cs}/u;

// A value's type, for messages: "null", "an array", a string with a lone
// surrogate, a field that cannot be read, or its `typeof`.
export function typeOf(value) {
  if (value === unreadable) return "a getter that throws";
  try {
    if (Array.isArray(value)) return "an array";
  } catch {
    // A revoked proxy: an object.
  }
  if (typeof value === "string" && lone.test(value)) return "a string with a lone surrogate";
  return value === null ? "null" : typeof value;
}

// The text of a failure, for the message of the error that reports it:
// "name: message" of an error (its message alone if it has no name), the
// value itself if it is a string, else "unknown error". Never throws.
export function describe(value) {
  const read = (key) => {
    try {
      return Object(value) === value ? value[key] : undefined;
    } catch {
      return undefined;
    }
  };
  const message = read("message");
  if (typeof message !== "string") return typeof value === "string" ? value : "unknown error";
  const name = read("name");
  return typeof name === "string" && name ? `${name}: ${message}` : message;
}

// `value` if it is a string with a UTF-8 form (no lone surrogate, which
// would be read as U+FFFD), else undefined.
export function text(value) {
  return typeof value === "string" && !lone.test(value) ? value : undefined;
}

// ---- the executor (src/web/task.rs) ----

// Calls `callback(slot, true, value)` or `callback(slot, false, reason)` once
// `promise` settles: the one callback of the module's executor, for every
// promise it awaits (`slot` says which await it is).
// Only the first call goes through (the slot is wasm's to free, once), and a
// `then` that throws is a rejection, a microtask later, never an exception
// into wasm.
export function whenSettled(promise, callback, slot) {
  const once = (fulfilled, value) => {
    if (slot === undefined) return;
    const taken = slot;
    slot = undefined;
    callback(taken, fulfilled, value);
  };
  try {
    promise.then(
      (value) => once(true, value),
      (reason) => once(false, reason),
    );
  } catch (error) {
    queueMicrotask(() => once(false, error));
  }
}

// A new promise and the functions that settle it: [promise, resolve, reject]
// (the promise an exported async method returns).
export function deferred() {
  let ends;
  const promise = new Promise((resolve, reject) => {
    ends = [resolve, reject];
  });
  return [promise, ...ends];
}

// A promise of `value`, which adopts a thenable (rejecting if reading its
// `then` throws) and never throws itself.
export function settle(value) {
  return new Promise((resolve) => resolve(value));
}
