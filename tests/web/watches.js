// Watches and hooks for the browser tests: what the library does inside the
// browser, and a call at one exact step of it. Each patches a prototype or
// a global for one test (tests run one at a time in one page); bound with
// #[wasm_bindgen(module)].

/** Counts the timers armed from now on that neither fired nor were cleared:
 * `{ pending(), restore() }`. */
export function watchTimers() {
  const { setTimeout: set, clearTimeout: clear } = globalThis;
  const pending = new Set();
  globalThis.setTimeout = function (handler, ms, ...args) {
    const id = set.call(globalThis, (...fired) => {
      pending.delete(id);
      if (typeof handler === "function") handler(...fired);
    }, ms, ...args);
    pending.add(id);
    return id;
  };
  globalThis.clearTimeout = function (id) {
    pending.delete(id);
    return clear.call(globalThis, id);
  };
  return {
    pending: () => pending.size,
    restore: () => Object.assign(globalThis, { setTimeout: set, clearTimeout: clear }),
  };
}

/** Watches which BroadcastChannels get a message handler from now on:
 * `{ listening(), restore() }`; `listening()` counts those that have one. */
export function watchChannelHandlers() {
  const proto = BroadcastChannel.prototype;
  const original = Object.getOwnPropertyDescriptor(proto, "onmessage");
  const seen = new Set();
  Object.defineProperty(proto, "onmessage", {
    ...original,
    set(handler) {
      seen.add(this);
      original.set.call(this, handler);
    },
  });
  return {
    listening: () => [...seen].filter((channel) => original.get.call(channel) !== null).length,
    restore: () => Object.defineProperty(proto, "onmessage", original),
  };
}

/** Records what `console.error` is given from now on, and still prints it
 * (a failing check's panic message goes there too): `{ seen(), restore() }`,
 * `seen()` the first argument of each call. */
export function watchConsoleErrors() {
  const original = console.error;
  const seen = [];
  console.error = (...args) => {
    seen.push(String(args[0]));
    original.apply(console, args);
  };
  return { seen: () => seen.slice(), restore: () => (console.error = original) };
}

/** A listener that records the `this` it is called with: `{ listener,
 * seen() }`. */
export function thisRecorder() {
  const seen = [];
  return {
    listener: function () {
      seen.push(this);
    },
    seen: () => seen.slice(),
  };
}

/** Records the errors nobody caught from now on (an event listener that
 * threw, say): `{ seen(), stop() }`, `seen()` their messages so far. */
export function watchUncaught() {
  const seen = [];
  const listener = (event) => {
    seen.push(String(event.message || event.error));
    event.preventDefault();
  };
  globalThis.addEventListener("error", listener);
  return { seen: () => seen.slice(), stop: () => globalThis.removeEventListener("error", listener) };
}

/** Counts the IndexedDB transactions started from now on, and those of
 * them started inside a Web Lock's grant callback: `{ count(), inGrant(),
 * stop() }`. */
export function countTransactions() {
  const proto = IDBDatabase.prototype;
  const locks = LockManager.prototype;
  const [transaction, request] = [proto.transaction, locks.request];
  let [count, inGrant, granting] = [0, 0, false];
  proto.transaction = function (...args) {
    count += 1;
    if (granting) inGrant += 1;
    return transaction.apply(this, args);
  };
  locks.request = function (name, options, callback) {
    if (typeof options === "function") [options, callback] = [{}, options];
    return request.call(this, name, options, (lock) => {
      granting = true;
      try {
        return callback(lock);
      } finally {
        granting = false;
      }
    });
  };
  return {
    count: () => count,
    inGrant: () => inGrant,
    stop: () => {
      proto.transaction = transaction;
      locks.request = request;
    },
  };
}

/** Calls `close()` right after the next `put` into the object store
 * `store` of the database `database` is made (inside its transaction,
 * before it commits). Returns the function that takes the patch out. */
export function closeAfterNextPut(close, database, store) {
  const proto = IDBObjectStore.prototype;
  const original = proto.put;
  const restore = () => (proto.put = original);
  proto.put = function (...args) {
    const request = original.apply(this, args);
    if (this.name === store && this.transaction.db.name === database) {
      restore();
      close();
    }
    return request;
  };
  return restore;
}

/** A lock manager that grants every request `ms` after it is made (the
 * grant's callback then runs), ignoring its signal, as one may when the
 * grant was already decided: `{ locks, grants() }`, `grants()` counting the
 * callbacks run. */
export function lateGrantingLocks(ms) {
  let grants = 0;
  const locks = {
    request(name, options, callback) {
      return new Promise((resolve) =>
        setTimeout(() => {
          grants += 1;
          resolve(callback({ name, mode: "exclusive" }));
        }, ms),
      );
    },
  };
  return { locks, grants: () => grants };
}

/** The connection that the next `indexedDB.open` of database `database`
 * opens: a promise that resolves once `close()` is called on it (never, if
 * nobody closes it). */
export function closingOfNextOpen(database) {
  const proto = IDBFactory.prototype;
  const original = proto.open;
  return new Promise((closed) => {
    proto.open = function (name, ...rest) {
      const request = original.call(this, name, ...rest);
      if (name === database) {
        proto.open = original;
        request.addEventListener("success", () => {
          const db = request.result;
          const close = db.close;
          db.close = function () {
            closed();
            return close.call(this);
          };
        });
      }
      return request;
    };
  });
}
