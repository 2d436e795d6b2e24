// Plain-JS helpers of the browser tests, bound with #[wasm_bindgen(module)].

/** The refresh handlers of one tab over a rotating token endpoint that
 * counts its calls: `{ handlers, calls() }`. `saveFails` makes save() reject. */
export function countingHandlers(fresh, saveFails) {
  let calls = 0;
  let stored = null;
  const handlers = {
    refresh: async () => {
      calls += 1;
      return { ...fresh, expiresIn: 300 };
    },
    reload: async () => stored ?? fresh,
    save: async (tokens) => {
      if (saveFails) throw new Error("quota exceeded");
      stored = tokens;
    },
  };
  return { handlers, calls: () => calls };
}

/** manager.refresh() with a refresh handler that calls manager.refresh()
 * again, synchronously. */
export function reentrantRefresh(manager, fresh) {
  const inner = { refresh: async () => fresh, reload: async () => fresh };
  return manager.refresh({
    refresh: () => manager.refresh(inner),
    reload: async () => fresh,
  });
}

/** Settles `promise`, or rejects with "still pending" after `ms`. */
export function within(promise, ms) {
  return Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error("still pending")), ms)),
  ]);
}

/** The names of the databases of this origin. */
export async function databaseNames() {
  return (await indexedDB.databases()).map((d) => d.name);
}

/** The wasm memory's size in bytes. */
export function memoryBytes(memory) {
  return memory.buffer.byteLength;
}

/** Handlers whose refresh() waits at a gate: `{ handlers, entered, open,
 * app }`. `entered` resolves when refresh() is called; `open()` lets it
 * resolve with `late`; reload() returns `app.tokens`. */
export function gatedHandlers(late, appTokens) {
  const { enter, entered, gate, open } = newGate();
  const app = { tokens: appTokens };
  const handlers = {
    refresh: async () => {
      enter();
      await gate;
      return late;
    },
    reload: async () => app.tokens,
    save: async () => {},
  };
  return { handlers, entered, open, app };
}

/** Arms a gate in a token world's endpoint: its next call waits there.
 * `{ entered, open }`: `entered` resolves when the call arrives. */
export function armGate(world) {
  const { enter, entered, gate, open } = newGate();
  world.gates.push({ enter, gate });
  return { entered, open };
}

/** A gate: `enter()` resolves `entered`; `gate` resolves on `open()`. */
function newGate() {
  let enter;
  let open;
  const entered = new Promise((resolve) => {
    enter = resolve;
  });
  const gate = new Promise((resolve) => {
    open = resolve;
  });
  return { enter, entered, gate, open };
}

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

// ---- a rotating token server and the app's token storage ----

/** `{ issued, calls, invalidGrants, storage, gates, handlers(), exchange(),
 * serve(worker) }`. Each refresh token works once; the endpoint answers
 * after `latencyMs`. */
export function tokenWorld(latencyMs) {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const world = {
    issued: 0,
    calls: 0,
    invalidGrants: 0,
    storage: { accessToken: "secret-access-0", refreshToken: "secret-refresh-0" },
    gates: [],
  };
  world.exchange = async (refreshToken) => {
    world.calls++;
    const gate = world.gates.shift();
    if (gate) {
      gate.enter();
      await gate.gate;
    }
    await sleep(latencyMs);
    if (refreshToken !== "secret-refresh-" + world.issued) {
      world.invalidGrants++;
      throw new Error("invalid_grant");
    }
    world.issued++;
    return { accessToken: "secret-access-" + world.issued, refreshToken: "secret-refresh-" + world.issued, expiresIn: 300 };
  };
  world.handlers = () => ({
    refresh: () => world.exchange(world.storage.refreshToken),
    reload: async () => ({ ...world.storage }),
    save: async (tokens) => {
      world.storage = { ...tokens };
    },
  });
  // Answers a worker's `{ id, call, arg }` with this world's handlers.
  world.serve = (worker) => {
    worker.addEventListener("message", async (e) => {
      const { id, call, arg } = e.data || {};
      if (!call) return;
      try {
        const value = await world.handlers()[call](arg);
        worker.postMessage({ id, value });
      } catch (error) {
        worker.postMessage({ id, error: String(error && error.message) });
      }
    });
  };
  return world;
}

// ---- refresh handlers of one behaviour each, by name ----

const HANDLERS = {
  "synchronous, with an extra field": () => ({
    refresh() {
      return { accessToken: "secret-a1", refreshToken: "secret-r1", expiresIn: 60 };
    },
    reload() {
      throw new Error("not called");
    },
  }),
  "refresh throws": () => ({
    refresh() {
      throw new TypeError("boom");
    },
    reload() {},
  }),
  "refresh rejects": () => ({ refresh: () => Promise.reject(new TypeError("boom")), reload() {} }),
  "refresh returns a number": () => ({ refresh: () => 42, reload() {} }),
  "save throws": () => ({
    refresh: async () => ({ accessToken: "secret-a" }),
    reload() {},
    save: () => {
      throw new TypeError("disk full");
    },
  }),
  "reload rejects": () => ({
    refresh() {
      throw new Error("must not be called");
    },
    reload: () => Promise.reject(new Error("storage gone")),
  }),
  "refresh returns an access token": () => ({ refresh: () => ({ accessToken: "secret-b" }), reload() {} }),
};

/** A fresh handlers object of the behaviour `name` (see HANDLERS). */
export function handlersNamed(name) {
  const make = HANDLERS[name];
  if (!make) throw new Error(`no handlers named ${JSON.stringify(name)}`);
  return make();
}

/** A new function that does nothing. */
export function noopFunction() {
  return () => {};
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
