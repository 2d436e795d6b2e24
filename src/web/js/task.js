// The executor's one callback for every awaited promise
// (src/web/task.rs), and a promise of any value (src/api/handlers.rs).

// Calls `callback(slot, true, value)` or `callback(slot, false, reason)` once
// `promise` settles: the one callback of the module's executor, for every
// promise it awaits (`slot` says which await it is).
// Only the first call goes through (the slot is wasm's to free, once), and a
// `then` that throws is a rejection, a microtask later, never an exception
// into wasm.
export function whenSettled(promise, callback, slot) {
  const once = (fulfilled, value) => {
    if (slot === undefined) return;
    const taken = slot;
    slot = undefined;
    callback(taken, fulfilled, value);
  };
  try {
    promise.then(
      (value) => once(true, value),
      (reason) => once(false, reason),
    );
  } catch (error) {
    queueMicrotask(() => once(false, error));
  }
}

// A promise of `value`, which adopts a thenable (rejecting if reading its
// `then` throws) and never throws itself.
export function settle(value) {
  return new Promise((resolve) => resolve(value));
}
