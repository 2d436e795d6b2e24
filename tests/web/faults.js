// Faults the browser tests inject into the platform, and the plain-JS steps
// of tests/web/faults_*.rs, bound with #[wasm_bindgen(module)].

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
