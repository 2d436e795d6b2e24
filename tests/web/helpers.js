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
