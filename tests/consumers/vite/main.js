// The loading the README shows for a fast start: the .wasm is requested
// together with the module, not after it (the plain page and the worker
// call init() without arguments).
import wasmUrl from "cross-tab-refresh/cross_tab_refresh_bg.wasm?url";
import { lockedSave } from "../check.js";

const wasm = fetch(wasmUrl);
import("cross-tab-refresh")
  .then(async ({ default: init, CrossTabRefreshManager }) => {
    await init({ module_or_path: wasm });
    return lockedSave(CrossTabRefreshManager, "vite");
  })
  .then((result) => (window.result = result))
  .catch((error) => (window.result = { error: `${error.name}: ${error.message}` }));
