// Plain-JS helpers of the browser tests, bound with #[wasm_bindgen(module)]:
// refresh handlers, gates, a token world. What another
// context would see or do (raw IndexedDB, Web Locks, workers) is in
// browser.js; injected faults in faults.js; watches and hooks in watches.js.

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

/** Refresh handlers whose storage reaches this tab late (localStorage
 * written by another tab, say): the first `behind` reloads return `stale`,
 * later ones `fresh`. `reloads()` counts them; refresh() and save() must
 * not be called. */
export function laggingHandlers(stale, fresh, behind) {
  let reloads = 0;
  const handlers = {
    refresh: async () => {
      throw new Error("refresh() called: the store already holds newer tokens");
    },
    reload: async () => (reloads++ < behind ? stale : fresh),
    save: async () => {
      throw new Error("save() called");
    },
  };
  return { handlers, reloads: () => reloads };
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

/** manager.refresh() with a refresh handler that calls manager.spinLock()
 * of the same manager, synchronously. */
export function reentrantSpinLock(manager, fresh) {
  return manager.refresh({
    refresh: () => manager.spinLock(),
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

/** A subscribe() listener that records what it hears: `{ listener, seen,
 * heard }`, `seen` the event types so far, `heard` a promise of the first. */
export function eventRecorder() {
  const seen = [];
  let first;
  const heard = new Promise((resolve) => (first = resolve));
  const listener = (event) => {
    seen.push(event.type);
    first(event.type);
  };
  return { listener, seen, heard };
}
