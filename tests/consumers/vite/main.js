// The loading the README shows for a fast start: the .wasm is requested
// together with the module, not after it (the plain page and the worker
// call init() without arguments).
import wasmUrl from "cross-tab-refresh/cross_tab_refresh_bg.wasm?url";
import { lockedSave } from "../check.js";

const wasm = fetch(wasmUrl);
import("cross-tab-refresh")
  .then(async ({ default: init, CrossTabRefreshManager }) => {
    await init({ module_or_path: wasm });
    const result = await lockedSave(CrossTabRefreshManager, "vite");
    // When each was requested (the entries are listed once they are done).
    const started = (test) => performance.getEntriesByType("resource").find((entry) => test(entry.name.split("/").pop()))?.startTime;
    const wasmAt = started((name) => name.endsWith(".wasm"));
    const moduleAt = started((name) => name.startsWith("cross_tab_refresh") && name.endsWith(".js"));
    return { ...result, requested: { wasmAt, moduleAt } };
  })
  .then((result) => (window.result = result))
  .catch((error) => (window.result = { error: `${error.name}: ${error.message}` }));
