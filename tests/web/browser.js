// What the browser tests do as another context would, in plain JS, bound
// with #[wasm_bindgen(module)] from tests/web/support/browser.rs: raw
// IndexedDB records and leases, Web Locks probes, a channel sniffer, and
// dedicated and module workers.

// ---- raw IndexedDB and Web Locks, as another context would see them ----

function opened(db) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(db);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function requested(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function committed(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

/** The value stored under `key` in object store `store` of `db`. */
export async function rawValue(db, store, key) {
  const conn = await opened(db);
  try {
    return await requested(conn.transaction(store).objectStore(store).get(key));
  } finally {
    conn.close();
  }
}

/** Stores `value` under `key` in object store `store` of `db`. */
export async function putRawValue(db, store, key, value) {
  const conn = await opened(db);
  try {
    const tx = conn.transaction(store, "readwrite");
    tx.objectStore(store).put(value, key);
    await committed(tx);
  } finally {
    conn.close();
  }
}

/** Makes the lease `name` in `db` look lapsed (its expiry in the past),
 * in one readwrite transaction. */
export async function lapseLease(db, name) {
  const conn = await opened(db);
  try {
    const tx = conn.transaction("leases", "readwrite");
    const store = tx.objectStore("leases");
    const lease = await requested(store.get(name));
    store.put({ ...lease, expiresAt: 0 }, name);
    await committed(tx);
  } finally {
    conn.close();
  }
}

/** Holds a readwrite transaction on `store` of `db` for `ms` (a request
 * after each other, so that it stays active), as a busy context would: its
 * promise resolves once the transaction is running, with a promise of its
 * end. Transactions on `store` started meanwhile wait for it. */
export async function holdStore(db, store, ms) {
  const conn = await opened(db);
  const tx = conn.transaction(store, "readwrite");
  const objects = tx.objectStore(store);
  const until = performance.now() + ms;
  const ended = committed(tx).finally(() => conn.close());
  await new Promise((running) => {
    const next = () => {
      running();
      if (performance.now() < until) objects.get("").onsuccess = next;
    };
    objects.get("").onsuccess = next;
  });
  return { ended };
}

/** Deletes `db`; rejects if blocked for 2 s. */
export function deleteDatabase(db) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(db);
    request.onsuccess = resolve;
    request.onerror = () => reject(request.error);
    request.onblocked = () => setTimeout(() => reject(new Error("blocked")), 2000);
  });
}

/** Is the Web Lock `name` free right now (probed without waiting)? */
export function lockIsFree(name) {
  return navigator.locks.request(name, { ifAvailable: true }, (lock) => lock !== null);
}

/** With `collect`, runs the garbage collector (`gc()` where the browser
 * exposes it, else by allocating); then lets 20 ms pass. */
export async function nudge(collect) {
  if (collect) {
    if (typeof gc === "function") {
      gc();
    } else {
      let junk = [];
      for (let i = 0; i < 200; i++) junk.push(new Array(50000).fill(i));
      junk = null;
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Every message on the BroadcastChannel `name` from now on, as JSON text. */
export function sniffChannel(name) {
  const seen = [];
  const channel = new BroadcastChannel(name);
  channel.onmessage = (event) => seen.push(JSON.stringify(event.data));
  return seen;
}

// ---- other contexts: dedicated and module workers ----

function workerOf(src, options) {
  return new Worker(URL.createObjectURL(new Blob([src], { type: "text/javascript" })), options);
}

/** A dedicated worker that takes the Web Lock `name` and holds it until
 * terminated. Resolves once the worker holds the lock. */
export async function workerHolding(name) {
  const worker = workerOf(`navigator.locks.request(${JSON.stringify(name)}, () => { postMessage('held'); return new Promise(() => {}); });`);
  await new Promise((resolve, reject) => {
    worker.onmessage = resolve;
    worker.onerror = (e) => reject(new Error("worker failed: " + e.message));
  });
  return worker;
}

// The test module and its .wasm, as the test page loads them.
function testModuleUrls() {
  return {
    moduleUrl: new URL("wasm-bindgen-test", location.href).href,
    wasmUrl: new URL("wasm-bindgen-test_bg.wasm", location.href).href,
  };
}

/** A module worker that loads the test module (the library inside it),
 * opens a manager of `session` and runs `refresh()` with handlers that ask
 * the page's `world` over `postMessage`. Resolves with the worker's result:
 * `{ outcome, accessToken, scope }` or `{ error }`. */
export async function refreshInWorker(world, db, session) {
  const { moduleUrl, wasmUrl } = testModuleUrls();
  const src = `
    import init, { CrossTabRefreshManager } from ${JSON.stringify(moduleUrl)};
    let next = 0; const pending = new Map();
    self.onmessage = (e) => { const p = pending.get(e.data.id); if (p) { pending.delete(e.data.id); e.data.error ? p.reject(new Error(e.data.error)) : p.resolve(e.data.value); } };
    const ask = (call, arg) => new Promise((resolve, reject) => { const id = next++; pending.set(id, { resolve, reject }); postMessage({ id, call, arg }); });
    try {
      await init({ module_or_path: ${JSON.stringify(wasmUrl)} });
      const m = await CrossTabRefreshManager.open({ session: ${JSON.stringify(session)}, databaseName: ${JSON.stringify(db)} });
      await m.restoreSession({ accessToken: 'secret-access-0', refreshToken: 'secret-refresh-0' });
      const r = await m.refresh({ refresh: () => ask('refresh'), reload: () => ask('reload'), save: (t) => ask('save', t) });
      postMessage({ done: { outcome: r.outcome, accessToken: r.tokens.accessToken, scope: self.constructor.name } });
    } catch (error) { postMessage({ done: { error: String(error && (error.name + ': ' + error.message)) } }); }
  `;
  const worker = workerOf(src, { type: "module" });
  world.serve(worker);
  try {
    return await new Promise((resolve, reject) => {
      worker.addEventListener("message", (e) => {
        if (e.data && e.data.done) resolve(e.data.done);
      });
      worker.onerror = (e) => reject(new Error("worker failed: " + (e.message || "unknown")));
    });
  } finally {
    worker.terminate();
  }
}

/** A module worker that loads the test module and runs `body` (JavaScript
 * that may use `CrossTabRefreshManager` and `postMessage`). Resolves with
 * the worker once it posts "ready". */
export async function moduleWorker(body) {
  const { moduleUrl, wasmUrl } = testModuleUrls();
  const src = `import init, { CrossTabRefreshManager } from ${JSON.stringify(moduleUrl)};
    await init({ module_or_path: ${JSON.stringify(wasmUrl)} });
    try { ${body} } catch (error) { postMessage('failed: ' + error.name + ': ' + error.message); }`;
  const worker = workerOf(src, { type: "module" });
  await new Promise((resolve, reject) => {
    worker.onmessage = (e) => (e.data === "ready" ? resolve() : reject(new Error(String(e.data))));
    worker.onerror = (e) => reject(new Error("worker failed: " + e.message));
    setTimeout(() => reject(new Error("the worker did not get ready within 30 s")), 30000);
  });
  return worker;
}
