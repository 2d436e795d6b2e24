// The session's channel and listeners, the classes' `[Symbol.dispose]`, the
// caller's values looked at safely, and the executor's callbacks (see
// browser.js for the library's other modules).

// ---- notifications (src/web/broadcast.rs) ----

// A channel named `name`, or null where this context has no
// BroadcastChannel (or cannot make one).
export function openChannel(name) {
  try {
    return typeof BroadcastChannel === "function" ? new BroadcastChannel(name) : null;
  } catch {
    return null;
  }
}

// One session's listeners on its BroadcastChannel (`channel` null where
// there is none: nothing is heard). `add(listener)` returns the function that
// removes it (harmless twice); `clear()` removes every listener. The channel
// has a message handler only while there is a listener: a context that
// listens to nothing does no work when another writes. A message is heard
// only if it is well formed ("refreshed" or "logout", this session, a "0x…"
// hash or null, a number as the generation); listeners get an event built
// from those fields alone, each in turn and only while still subscribed (one
// may unsubscribe another, or close the manager); one that throws is
// reported on the console and the others are still called.
export function sessionListeners(channel, session) {
  let list = [];
  const listen = () => channel && (channel.onmessage = list.length ? hear : null);
  const hear = ({ data }) => {
    const { type, dbHash, generation } = Object(data);
    if (
      (type === "refreshed" || type === "logout") &&
      Object(data).session === session &&
      typeof generation === "number" &&
      (dbHash === null || (typeof dbHash === "string" && dbHash.startsWith("0x")))
    ) {
      const event = { type, session, dbHash, generation };
      for (const entry of list) {
        if (!list.includes(entry)) continue;
        const { listener } = entry;
        try {
          listener(event);
        } catch (error) {
          console.error("cross-tab-refresh: a subscribe() listener threw", error);
        }
      }
    }
  };
  return {
    add(listener) {
      const entry = { listener };
      list = [...list, entry];
      listen();
      return () => {
        list = list.filter((other) => other !== entry);
        listen();
      };
    },
    clear() {
      list = [];
      listen();
    },
  };
}

// Posts `{ type, session, dbHash, generation }` on `channel`; a closed
// channel's error is ignored (the write it reports happened).
export function post(channel, type, session, dbHash, generation) {
  try {
    channel.postMessage({ type, session, dbHash, generation });
  } catch {
    // Best effort.
  }
}

// ---- Symbol.dispose (src/api/dispose.rs) ----

// Points `[Symbol.dispose]` of the class of `instance` at its idempotent
// `method` (wasm-bindgen's own frees the object, after which every call
// fails). Does nothing where `Symbol.dispose` does not exist, or once done
// (changing a prototype costs every later call on its instances).
export function wireDispose(instance, method) {
  const prototype = Object.getPrototypeOf(instance);
  if (
    typeof Symbol.dispose === "symbol" &&
    typeof prototype[method] === "function" &&
    prototype[Symbol.dispose] !== prototype[method]
  ) {
    prototype[Symbol.dispose] = prototype[method];
  }
}

// ---- the caller's values (src/api/fields.rs, src/api/handlers.rs) ----
// Each step here may meet a value that throws when looked at (a revoked
// proxy, keys that cannot be listed, a promise whose `then` is not a
// function): caught here, as nothing may throw through the module.

// The first own key of `object` not among `known` (names joined by ", "),
// null if there is none, or true if its keys cannot be listed.
export function unknownKey(object, known) {
  try {
    const names = known.split(", ");
    return Object.keys(object).find((key) => !names.includes(key)) ?? null;
  } catch {
    return true;
  }
}

// What a field whose getter (or proxy trap) throws reads as: no check
// accepts it, and typeOf names it.
const unreadable = Object.freeze({});

// `object[key]`, or `unreadable` if reading it throws.
export function field(object, key) {
  try {
    return object[key];
  } catch {
    return unreadable;
  }
}

// A lone surrogate: a string with one has no UTF-8 form.
const lone = /\p{Cs}/u;

// A value's type, for messages: "null", "an array", a string with a lone
// surrogate, a field that cannot be read, or its `typeof`.
export function typeOf(value) {
  if (value === unreadable) return "a getter that throws";
  try {
    if (Array.isArray(value)) return "an array";
  } catch {
    // A revoked proxy: an object.
  }
  if (typeof value === "string" && lone.test(value)) return "a string with a lone surrogate";
  return value === null ? "null" : typeof value;
}

// The text of a failure, for the message of the error that reports it:
// "name: message" of an error (its message alone if it has no name), the
// value itself if it is a string, else "unknown error". Never throws.
export function describe(value) {
  const read = (key) => {
    try {
      return Object(value) === value ? value[key] : undefined;
    } catch {
      return undefined;
    }
  };
  const message = read("message");
  if (typeof message !== "string") return typeof value === "string" ? value : "unknown error";
  const name = read("name");
  return typeof name === "string" && name ? `${name}: ${message}` : message;
}

// `value` if it is a string with a UTF-8 form (no lone surrogate, which
// would be read as U+FFFD), else undefined.
export function text(value) {
  return typeof value === "string" && !lone.test(value) ? value : undefined;
}

// ---- the executor (src/web/task.rs) ----

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

// A new promise and the functions that settle it: [promise, resolve, reject]
// (the promise an exported async method returns).
export function deferred() {
  let ends;
  const promise = new Promise((resolve, reject) => {
    ends = [resolve, reject];
  });
  return [promise, ...ends];
}

// A promise of `value`, which adopts a thenable (rejecting if reading its
// `then` throws) and never throws itself.
export function settle(value) {
  return new Promise((resolve) => resolve(value));
}
