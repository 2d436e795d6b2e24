// A dedicated worker taking part in the refresh: it refreshes through its
// own manager and asks its page for the app's tokens (localStorage is not
// reachable from workers).
import init, { CrossTabRefreshManager } from "/pkg/cross_tab_refresh.js";
import { refreshGrant } from "/tokens.js";

const SESSION = "@demo:localhost|DEMO";
let next = 0;
const pending = new Map();
const ask = (call, arg) =>
  new Promise((resolve) => {
    const id = next++;
    pending.set(id, resolve);
    postMessage({ call, id, arg });
  });

const ready = (async () => {
  await init();
  const manager = await CrossTabRefreshManager.open({ session: SESSION, holder: "worker" });
  const tokens = await ask("reload");
  if (tokens) await manager.restoreSession(tokens);
  return manager;
})();

self.onmessage = async ({ data }) => {
  if (data.id !== undefined && pending.has(data.id)) {
    pending.get(data.id)(data.value);
    pending.delete(data.id);
    return;
  }
  if (data.call === "ping") {
    await ready.catch(() => {});
    postMessage({ done: { ready: true } });
    return;
  }
  if (data.call !== "refresh") return;
  try {
    const manager = await ready;
    const result = await manager.refresh({
      refresh: async () => refreshGrant((await ask("reload")).refreshToken),
      reload: () => ask("reload"),
      save: (tokens) => ask("save", tokens),
    });
    postMessage({ done: { outcome: result.outcome, hash: manager.knownSessionHash } });
  } catch (error) {
    // A logout came during this refresh: the page removes the tokens its
    // save() stored, unless a newer login has replaced them.
    if (error.name === "LoggedOutError" && error.tokens) await ask("discard", error.tokens);
    postMessage({ done: { error: `${error.name}: ${error.message}` } });
  }
};
