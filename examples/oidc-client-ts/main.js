// One tab of an app on oidc-client-ts's UserManager (refresh tokens, the
// user in localStorage), coordinated by cross-tab-refresh. With
// ?uncoordinated the UserManager renews on its own (the control of
// tests/e2e/clients.test.mjs).
import init, { CrossTabRefreshManager } from "cross-tab-refresh";
import { UserManager, WebStorageStateStore } from "oidc-client-ts";
import { coordinateSilentRenew } from "./coordinate.js";

async function start() {
  const config = await (await fetch("/config.json")).json();
  const userManager = new UserManager({
    authority: config.authorizationEndpoint.replace(/\/auth$/, ""),
    client_id: config.clientId,
    redirect_uri: `${location.origin}/ocs/`,
    scope: "openid",
    userStore: new WebStorageStateStore({ store: window.localStorage }),
    automaticSilentRenew: false,
  });
  if (new URLSearchParams(location.search).has("code")) {
    await userManager.signinRedirectCallback();
    history.replaceState(null, "", location.pathname);
  }
  const uncoordinated = new URLSearchParams(location.search).has("uncoordinated");
  if (!uncoordinated) {
    await init();
    const manager = await CrossTabRefreshManager.open({ session: "oidc-client-ts|alice" });
    const user = await userManager.getUser();
    if (user) await manager.restoreSession({ accessToken: user.access_token, refreshToken: user.refresh_token });
    coordinateSilentRenew(manager, userManager);
  }
  let held = await userManager.getUser();
  window.app = {
    login: () => userManager.signinRedirect(),
    signedIn: async () => (await userManager.getUser()) !== null,
    refresh: async () => {
      try {
        held = await userManager.signinSilent();
        return { ok: true };
      } catch (error) {
        return { ok: false, error: `${error.name}: ${error.message}` };
      }
    },
    userinfo: async () => (await fetch(`${config.authorizationEndpoint.replace(/\/auth$/, "")}/me`, { headers: { authorization: `Bearer ${held.access_token}` } })).status,
  };
}

start()
  .then(() => (window.ready = true))
  .catch((error) => (window.ready = `${error.name}: ${error.message}`));
