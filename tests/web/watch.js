// Watches and hooks of the browser tests, bound with #[wasm_bindgen(module)]:
// each patches a platform prototype from its call until it is taken out
// (tests run one at a time in one page), to see what the library does
// inside the browser or to act at one exact step of it. Faults are in
// faults.js.

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
