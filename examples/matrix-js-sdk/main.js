// One tab of a Matrix client: matrix-js-sdk with its own OAuth refresh path,
// coordinated across tabs by cross-tab-refresh.
import init, { CrossTabRefreshManager } from "cross-tab-refresh";
import { createClient } from "matrix-js-sdk";
import { coordinateTokenRefresh } from "./coordinate.js";

const KEY = "mx.tokens";
const storage = {
  load: () => JSON.parse(localStorage.getItem(KEY)),
  save: (t) => localStorage.setItem(KEY, JSON.stringify({ accessToken: t.accessToken, refreshToken: t.refreshToken })),
};

async function start() {
  await init();
  const manager = await CrossTabRefreshManager.open({ session: "@demo:localhost|DEMODEVICE" });
  coordinateTokenRefresh(manager, storage);
  const tokens = storage.load();
  await manager.restoreSession(tokens);
  const client = createClient({
    baseUrl: location.origin,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    oauthClientId: "demo-client",
    onTokenRefresh: (fresh) => storage.save(fresh),
  });
  window.mx = {
    whoami: async () => {
      try {
        return { userId: (await client.whoami()).user_id };
      } catch (error) {
        return { error: `${error.name}: ${error.message}` };
      }
    },
    accessToken: () => client.getAccessToken(),
    at: (when, fn) => new Promise((r) => setTimeout(() => r(window.mx[fn]()), Math.max(0, when - Date.now()))),
  };
}

start()
  .then(() => (window.ready = true))
  .catch((error) => (window.ready = `${error.name}: ${error.message}`));
