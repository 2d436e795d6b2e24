// What each part of the .wasm is for, for BENCHMARKS.md's size table
// (bench/run.mjs): one line per crate or section twiggy reports, and the
// groups the paragraph under the table sums.

// What each part of the .wasm is for, and why it stays.
const WHY = {
  "cross_tab_refresh::api":
    "the exported methods, with the drop glue of their futures: each async one (refresh, spinLock, saveInMemoryAndDb, handleMismatch, restoreSession, onLogout, open, storedState, lockState) is one state machine, with the core's steps inlined into it and the store's futures awaited in it directly (refresh about 4 KiB, lockState 1.5, the others under 1); reading options, tokens and handlers with a named error for each bad field; errors as JS Errors with name, cause and tokens",
  "cross_tab_refresh::web":
    "the browser adapters, with their drop glue: the IndexedDB connection (open, upgrade, versionchange), the session and lease records (each change decided in Rust inside the readwrite transaction its JS runs, each step named in its error), Web Locks requests (the grant's callback starts the holder's first read), the lease lock's polling, renewal and give-back, BroadcastChannel (the channel, posting, the listeners and the checks of what is heard are JS), timers (one setTimeout each, waking its task) and abort waits (a JS promise), and the executor (web::task: one task queue polled in a microtask, one callback for every awaited promise, in place of wasm-bindgen-futures' executor, 0.3 KiB gzipped less)",
  "cross_tab_refresh::core":
    "the core's futures not inlined into a method, with their drop glue: spin_lock (about 3 KiB: the in-context turn, either cross-context lock, raced against timeout, signal and close() in one poll function), the fenced save, adoption; record decoding with its messages; the SHA-256 input",
  core: "Rust's core: the bodies of boxed closures (this library's record decisions among them: twiggy names them only as FnOnce vtable shims), drop glue of other crates' types, string and slice helpers (no formatting: messages are joined from their parts, numbers written digit by digit)",
  "data (strings, tables)": "error messages, option names and error names (every error stays as precise as before), the hex table",
  "wasm sections": "the import and export sections (one import per browser function called, one export per method; their names shortened to a letter or two by scripts/minify.mjs, from 9.3 KiB), types, the function table",
  sha2: "SHA-256 of the session (the named crate, its compact backend: rounds in a loop; crypto.subtle would be async and unavailable in insecure contexts)",
  alloc: "Vec, String, Rc, and the allocation paths of each",
  dlmalloc: "Rust's default allocator for wasm32 (only with the small-heap feature off)",
  "cross_tab_refresh::heap": "the allocator of the wasm build (src/heap/: power-of-two size classes, one free list each), in place of dlmalloc's 7 KiB",
  "exports (wasm-bindgen shims)": "argument and result conversion of each exported method",
  js_sys: "Promise/Uint8Array/Function/Array bindings, and the wakers of its JSPI support that only the function table still lists (see wasm_bindgen)",
  tokio: "tokio::sync channels that indexed_db_futures' requests use (the library makes none of them; no feature turns them off)",
  indexed_db_futures: "finding the IDBFactory of this window or worker (DBFactory; where it finds none, the library's JS reads indexedDB again for the exception it throws); the database is opened, read and changed in the library's JS, one promise per call: the crate's own open request would add tokio's channels and its listeners to the .wasm (3.3 KiB gzipped, 3,423 bytes, measured 2026-12-06) and drop an exception indexedDB.open throws, which the library keeps as the cause",
  wasm_bindgen: "closures (the deciding step of each record change is one), string passing (the JavaScript values the .wasm holds live in an array of the glue: the release build leaves out reference types, 0.8 KiB gzipped less than a table of the .wasm); also about 40 closure shims of js_sys and web_sys functions this library never calls, which only their wasm-bindgen descriptors referenced: the descriptors are gone, their function-table entries stay (removing every such entry by hand measured 0.2 KiB gzipped; no flag of wasm-bindgen or wasm-opt does)",
  std: "thread-local and once cells",
  digest: "the Digest trait sha2 implements",
  hybrid_array: "the fixed-size arrays sha2 returns",
  smallvec: "the listeners of indexed_db_futures' open request, kept in a small vector",
  other: "items twiggy names by no path (data and functions it cannot place)",
  web_sys: "AbortSignal, BroadcastChannel and IDBDatabase (close, version) bindings",
  serde_core: "serde's traits as serde-wasm-bindgen's serializer implements them for the two records",
  serde_wasm_bindgen: "writing the session and lease records (maps of four and three fields, as plain objects, every field through one value type)",
};
// The table in three groups, for the paragraph under it.
const GROUPS = {
  "this library (api, web, core, heap)": (c) => c.startsWith("cross_tab_refresh"),
  "the named crates (sha2, indexed_db_futures, serde-wasm-bindgen)": (c) => ["sha2", "indexed_db_futures", "serde_wasm_bindgen"].includes(c),
  "what any Rust library compiled with wasm-bindgen carries (Rust's core, alloc, std and allocator, wasm-bindgen, js_sys, the export shims and wasm sections)": (c) =>
    ["core", "alloc", "std", "dlmalloc", "wasm_bindgen", "js_sys", "exports (wasm-bindgen shims)", "wasm sections"].includes(c),
  "data (messages, names, tables)": (c) => c.startsWith("data"),
};
// What a row is for; the row of small crates names each one's purpose.
function why(crate) {
  const small = crate.match(/others under [\d.]+ KiB \((.*)\)$/)?.[1];
  if (!small) return WHY[crate] ?? "";
  return small
    .split(", ")
    .map((name) => `${name}: ${WHY[name] ?? "?"}`)
    .join("; ");
}

/**
 * The per-crate table's rows, the group totals for the paragraph under it,
 * and the bytes of this library's own code, of the data, and of the rest
 * (Rust's runtime, wasm-bindgen and the named crates).
 */
export function sizeTables(crates) {
  const bytesOf = (inGroup) => crates.filter(([c]) => inGroup(c)).reduce((sum, [, b]) => sum + b, 0);
  const groupText = Object.entries(GROUPS)
    .map(([label, inGroup]) => `${(bytesOf(inGroup) / 1024).toFixed(1)} KiB ${label}`)
    .join("; ");
  const crateRows = crates
    .map(([crate, bytes]) => `| ${crate} | ${(bytes / 1024).toFixed(1)} | ${why(crate)} |`)
    .join("\n");
  const ownBytes = bytesOf((c) => c.startsWith("cross_tab_refresh"));
  const dataBytes = bytesOf((c) => c.startsWith("data"));
  const restBytes = bytesOf((c) => !c.startsWith("cross_tab_refresh") && !c.startsWith("data"));
  return { groupText, crateRows, ownBytes, dataBytes, restBytes };
}
