// One tab of an app that refreshes with oauth4webapi, coordinated by
// cross-tab-refresh. With ?uncoordinated it refreshes on its own, as an app
// without the library does (the control of tests/e2e/clients.test.mjs).
import init, { CrossTabRefreshManager } from "cross-tab-refresh";
import * as oauth from "oauth4webapi";
import { coordinatedRefresh } from "./coordinate.js";

// The tokens the demo page's login stored (same origin, same localStorage).
const KEY = "demo.tokens";
const storage = {
  load: () => JSON.parse(localStorage.getItem(KEY)),
  save: (t) => localStorage.setItem(KEY, JSON.stringify({ accessToken: t.accessToken, refreshToken: t.refreshToken })),
};

async function start() {
  const config = await (await fetch("/config.json")).json();
  const issuer = new URL(config.authorizationEndpoint.replace(/\/auth$/, ""));
  // A loopback test server speaks http; real deployments must not.
  const options = { [oauth.allowInsecureRequests]: true };
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, options));
  const client = { client_id: config.clientId };
  let refresh;
  if (new URLSearchParams(location.search).has("uncoordinated")) {
    refresh = async () => {
      const current = storage.load();
      const response = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), current.refreshToken, options);
      const result = await oauth.processRefreshTokenResponse(as, client, response);
      const fresh = { accessToken: result.access_token, refreshToken: result.refresh_token };
      storage.save(fresh);
      return fresh;
    };
  } else {
    await init();
    const manager = await CrossTabRefreshManager.open({ session: "oauth4webapi|alice" });
    await manager.restoreSession(storage.load());
    refresh = coordinatedRefresh({ manager, as, client, storage, options });
  }
  let held = storage.load();
  window.app = {
    refresh: async () => {
      try {
        held = await refresh();
        return { ok: true };
      } catch (error) {
        return { ok: false, error: `${error.name}: ${error.message}` };
      }
    },
    userinfo: async () => (await fetch(as.userinfo_endpoint, { headers: { authorization: `Bearer ${held.accessToken}` } })).status,
  };
}

start()
  .then(() => (window.ready = true))
  .catch((error) => (window.ready = `${error.name}: ${error.message}`));
