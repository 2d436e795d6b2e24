// The few steps of the browser adapters that are plain JavaScript, in three
// modules the package writes into wasm-bindgen's glue (scripts/package.mjs):
// this one, Web Locks (one request, its read ahead of the session record,
// a query), disposable abort waits, and the plain read of one record;
// idb.js, opening and upgrading the database, a read-modify-write of one
// record, stepping aside on versionchange; runtime.js, the session's
// channel and listeners, `[Symbol.dispose]`, the caller's values and the
// executor's callbacks. Three, not one per adapter: the browser tests load
// them as wasm-bindgen leaves them, each module one more request made at
// once with the others, and the tests' runner can leave a connection of
// such a burst unread (scripts/test-engines.sh says how, and what frees it).

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

// ---- reading one record (src/web/record_io.rs) ----

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
