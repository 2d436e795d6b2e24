// The demo page's other contexts: the other tabs, told over a BroadcastChannel
// to refresh at one instant, and the page's module worker, which refreshes
// through a manager of its own and reaches the app's storage through the page
// (localStorage is not reachable from workers).
import { discardEnded, loadTokens, storeTokens } from "/tokens.js";

const control = new BroadcastChannel("cross-tab-refresh-demo");

/** Calls `refresh` at the instant `at` (a Date.now() timestamp); resolves with its outcome. */
export function callAt(at, refresh) {
  return new Promise((resolve) => setTimeout(() => resolve(refresh()), Math.max(0, at - Date.now())));
}

/** Tells every other tab of this page to refresh at the instant `at`. */
export function tellOtherTabs(at) {
  control.postMessage({ type: "refresh-at", at });
}

/** Calls `refresh` at the instant another tab names. */
export function followOtherTabs(refresh) {
  control.onmessage = ({ data }) => {
    if (data?.type === "refresh-at") callAt(data.at, refresh);
  };
}

let worker;
/** Asks the page's worker (started on first use) to `call`; resolves with its answer. */
export function askWorker(call) {
  worker ??= new Worker("/worker.js", { type: "module" });
  return new Promise((resolve) => {
    const onMessage = (event) => {
      const { call, id, arg } = event.data;
      if (call === "reload") worker.postMessage({ id, value: loadTokens() });
      else if (call === "save") { storeTokens(arg); worker.postMessage({ id, value: null }); }
      else if (call === "discard") { discardEnded(arg); worker.postMessage({ id, value: null }); }
      else if (event.data.done) {
        worker.removeEventListener("message", onMessage);
        resolve(event.data.done);
      }
    };
    worker.addEventListener("message", onMessage);
    worker.postMessage({ call });
  });
}
