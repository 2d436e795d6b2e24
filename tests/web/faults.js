// Faults the browser tests inject into the platform and the plain-JS
// steps of tests/web/faults_*.rs, bound with #[wasm_bindgen(module)]; the
// watches and hooks that patch a prototype for one test are in watches.js.

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

/** Something only shaped like a promise, whose `then` calls back twice. */
export function thenableCallingBackTwice(first, second) {
  return {
    then(fulfilled) {
      fulfilled(first);
      fulfilled(second);
    },
  };
}

/** Something only shaped like a promise, whose `then` throws `error`. */
export function thenableThatThrows(error) {
  return {
    then() {
      throw error;
    },
  };
}

/** An object whose `message` getter throws `error`. */
export function messageThatThrows(error) {
  return {
    get message() {
      throw error;
    },
  };
}

/** Makes reading `indexedDB` throw a SecurityError (as a sandboxed frame's
 * may); returns the function that takes it out. */
export function indexedDBThrows() {
  const original = Object.getOwnPropertyDescriptor(globalThis, "indexedDB");
  Object.defineProperty(globalThis, "indexedDB", {
    get() {
      throw new DOMException("sandboxed", "SecurityError");
    },
    configurable: true,
  });
  return () => Object.defineProperty(globalThis, "indexedDB", original);
}
