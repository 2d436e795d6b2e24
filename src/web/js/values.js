// The classes' `[Symbol.dispose]`, and looking at the caller's values
// safely (src/api).

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

// `value` if it is a string with a UTF-8 form (no lone surrogate, which
// would be read as U+FFFD), else undefined.
export function text(value) {
  return typeof value === "string" && !lone.test(value) ? value : undefined;
}
