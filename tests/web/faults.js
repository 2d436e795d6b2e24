// Faults the browser tests inject into the platform, the plain-JS steps of
// tests/web/faults_*.rs, and watches and hooks that patch a prototype for
// one test (tests run one at a time in one page), bound with
// #[wasm_bindgen(module)].

// Each fault: the object, the property, and its replacement given the original.
const FAULTS = {
  "put throws QuotaExceededError": () => [
    IDBObjectStore.prototype,
    "put",
    () =>
      function () {
        throw new DOMException("the disk is full", "QuotaExceededError");
      },
  ],
  // As above, counting its calls in globalThis.failedPuts.
  "put throws QuotaExceededError, counted": () => [
    IDBObjectStore.prototype,
    "put",
    () =>
      function () {
        globalThis.failedPuts = (globalThis.failedPuts ?? 0) + 1;
        throw new DOMException("the disk is full", "QuotaExceededError");
      },
  ],
  "put aborts its transaction": () => [
    IDBObjectStore.prototype,
    "put",
    (original) =>
      function (...args) {
        const request = original.apply(this, args);
        this.transaction.abort();
        return request;
      },
  ],
  // add() over an existing record fails later, in its request's error event.
  "put fails when a record exists (ConstraintError)": () => [
    IDBObjectStore.prototype,
    "put",
    () =>
      function (...args) {
        return this.add(...args);
      },
  ],
  // Not a fault: counts reads in globalThis.recordReads, for a test that
  // must act while a transaction is open.
  "get counts its calls": () => [
    IDBObjectStore.prototype,
    "get",
    (original) =>
      function (...args) {
        globalThis.recordReads = (globalThis.recordReads ?? 0) + 1;
        return original.apply(this, args);
      },
  ],
  "commit aborts the transaction": () => [
    IDBTransaction.prototype,
    "commit",
    () =>
      function () {
        this.abort();
      },
  ],
  "transaction throws InvalidStateError": () => [
    IDBDatabase.prototype,
    "transaction",
    () =>
      function () {
        throw new DOMException("the connection is closing", "InvalidStateError");
      },
  ],
  "get throws InvalidStateError": () => [
    IDBObjectStore.prototype,
    "get",
    () =>
      function () {
        throw new DOMException("the connection is closing", "InvalidStateError");
      },
  ],
  "indexedDB.open throws InvalidStateError": () => [
    IDBFactory.prototype,
    "open",
    () =>
      function () {
        throw new DOMException("storage is disabled", "InvalidStateError");
      },
  ],
  "navigator.locks.request throws SecurityError": () => [
    Object.getPrototypeOf(navigator.locks),
    "request",
    () =>
      function () {
        throw new DOMException("sandboxed", "SecurityError");
      },
  ],
  "no indexedDB": () => [globalThis, "indexedDB", () => undefined],
  "no navigator.locks": () => [navigator, "locks", () => undefined],
};

/** Injects the fault named `name`; returns the function that takes it out. */
export function inject(name) {
  const fault = FAULTS[name];
  if (!fault) throw new Error(`no fault named ${JSON.stringify(name)}`);
  const [target, key, replace] = fault();
  const original = target[key];
  const define = (value) => Object.defineProperty(target, key, { value, configurable: true, writable: true });
  define(replace(original));
  return () => define(original);
}

/** SHA-256 of `text` as `0x…` hex, by crypto.subtle. */
export async function sha256Hex(text) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return "0x" + Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Opens `db` at `version`, adding an object store `store` in the upgrade
 * (as another app, or a newer version of this one, would); rejects if the
 * upgrade stays blocked for 2 s. */
export function upgradeDatabase(db, version, store) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(db, version);
    request.onupgradeneeded = () => request.result.createObjectStore(store);
    request.onsuccess = () => {
      request.result.close();
      resolve(true);
    };
    request.onerror = () => reject(request.error);
    request.onblocked = () => setTimeout(() => reject(new Error("blocked")), 2000);
  });
}

/** `"storeA,storeB@version"` of `db`. */
export function storesAndVersion(db) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(db);
    request.onsuccess = () => {
      const conn = request.result;
      const names = [...conn.objectStoreNames];
      const version = conn.version;
      conn.close();
      resolve(names.join(",") + "@" + version);
    };
    request.onerror = () => reject(request.error);
  });
}

/** Opens `db` and keeps the connection open when another asks it to close
 * (no versionchange handler), as an older version of an app might. */
export function openStubbornly(db) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(db);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

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

// ---- watches and hooks: what the library does inside the browser, and a
// call at one exact step of it ----

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

/** How each call of `manager` (and of its class) on a value that throws
 * when looked at ends: "rejected <name>", "threw <name>" (synchronously) or
 * "pending" (not settled within 2 s). The values: a revoked proxy, options
 * whose keys cannot be listed, and a handler's promise whose own `then` is
 * not a function. Last, whether a plain refresh still works afterwards. */
export async function hostileValues(manager, options) {
  const { proxy: revoked, revoke } = Proxy.revocable({}, {});
  revoke();
  const unlistable = new Proxy({ ...options }, {
    ownKeys() {
      throw new Error("no keys");
    },
  });
  const tokens = { accessToken: "secret-hostile" };
  const brokenThen = Object.assign(Promise.resolve(tokens), { then: 1 });
  const throwing = () => {
    throw new Error("a getter that throws");
  };
  const Manager = manager.constructor;
  const calls = {
    "open(options whose keys cannot be listed)": () => Manager.open(unlistable),
    "open({ session: a revoked proxy })": () => Manager.open({ ...options, session: revoked }),
    "spinLock({ signal: a revoked proxy })": () => manager.spinLock({ signal: revoked }),
    "restoreSession({ accessToken: a revoked proxy })": () => manager.restoreSession({ accessToken: revoked }),
    "restoreSession(tokens whose refreshToken getter throws)": () =>
      manager.restoreSession(Object.defineProperty({ accessToken: "secret-hostile" }, "refreshToken", { get: throwing })),
    "refresh(handlers whose save getter throws)": () =>
      manager.refresh(Object.defineProperty({ refresh: () => tokens, reload: () => tokens }, "save", { get: throwing })),
    "refresh() whose refresh returns a promise with a broken then": () =>
      manager.refresh({ refresh: () => brokenThen, reload: () => tokens }),
    "refresh() afterwards": () => manager.refresh({ refresh: () => tokens, reload: () => tokens }),
  };
  const ends = {};
  for (const [name, call] of Object.entries(calls)) {
    let promise;
    try {
      promise = call();
    } catch (error) {
      ends[name] = `threw ${error?.name}`;
      continue;
    }
    const late = new Promise((resolve) => setTimeout(() => resolve("pending"), 2000));
    ends[name] = await Promise.race([
      promise.then(() => "resolved", (error) => `rejected ${error?.name}`),
      late,
    ]);
  }
  return ends;
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
