// The multi-tab demo: each tab opens a manager of one session and refreshes
// through it. `window.demo` exposes the same actions for automated runs.
import init, { CrossTabRefreshManager } from "/pkg/cross_tab_refresh.js";
import { $, log, renderLock, renderState, setStatus, short, status } from "/view.js";
import { clearTokens, completeLogin, discardEnded, loadTokens, login, pageQuery, refreshGrant, revoke, serverKind, storeTokens, userinfoEndpoint } from "/tokens.js";
import { askWorker, callAt, followOtherTabs, tellOtherTabs } from "/contexts.js";

export const SESSION = "@demo:localhost|DEMO";

let manager;
/** The tokens this tab uses now (from its last refresh, or as restored). */
let held = null;
const counters = { refreshed: 0, adopted: 0, errors: 0 };
/** When this tab's last token request came back (normally under the lock). */
let networkEndAt = null;
const render = () => renderState(manager);

/** For the lifecycle tests: a point where the next refresh stops until `resume()`. */
const pause = { at: null, reached: null, resume: null };
async function pausePoint(point) {
  if (pause.at !== point) return;
  pause.at = null;
  pause.reached = point;
  await new Promise((resolve) => {
    pause.resume = resolve;
  });
}

const handlers = {
  async refresh() {
    await pausePoint("before-network");
    // Read at call time: after a pause, another tab may have stored newer tokens.
    const tokens = loadTokens();
    if (!tokens) throw new Error("logged out");
    const issued = await refreshGrant(tokens.refreshToken);
    networkEndAt = Date.now();
    return issued;
  },
  reload() {
    const tokens = loadTokens();
    if (!tokens) throw new Error("logged out");
    return tokens;
  },
  async save(tokens) {
    storeTokens(tokens);
    await pausePoint("after-save");
  },
};

/**
 * The way out when the lock's holder is stuck: take the lock from it and
 * refresh by hand (its late write will be fenced).
 */
async function refreshStealing() {
  try {
    const guard = await manager.spinLock({ steal: true });
    try {
      if (guard.hashMismatch) {
        const tokens = handlers.reload();
        await guard.handleMismatch(tokens);
        held = tokens;
        return { outcome: "adopted" };
      }
      const tokens = await refreshGrant(loadTokens().refreshToken);
      storeTokens(tokens);
      await guard.saveInMemoryAndDb(tokens);
      held = tokens;
      return { outcome: "refreshed" };
    } finally {
      guard.release();
    }
  } catch (error) {
    return { outcome: "error", error: `${error.name}: ${error.message}` };
  } finally {
    render();
  }
}

/** Expires this tab's access token and refreshes; resolves with the outcome. */
async function refresh() {
  // With tokens in hand, or tokens in the app's storage (another tab's
  // login, say), the library decides (another tab may have logged out).
  if (!held && !loadTokens()) return { outcome: "logged-out" };
  const mine = held;
  setStatus("refreshing", "busy");
  const started = performance.now();
  const calledAt = Date.now();
  try {
    const { outcome, tokens } = await manager.refresh(handlers);
    held = tokens;
    counters[outcome]++;
    const ms = Math.round(performance.now() - started);
    log(outcome, `${outcome === "refreshed" ? "called the token endpoint" : "took another context's tokens"} in ${ms} ms → ${short(manager.knownSessionHash)}`);
    setStatus("tokens current", "ok");
    // ok: the tokens this tab goes on with are the ones the app stores.
    return { outcome, ms, calledAt, networkEndAt: outcome === "refreshed" ? networkEndAt : null, accessTokenHash: manager.knownSessionHash, ok: held.accessToken === loadTokens()?.accessToken };
  } catch (error) {
    if (error.name === "LoggedOutError") {
      // Logged out, here or elsewhere (this tab's storage may not show it
      // yet). A logout during this refresh: the tokens its save() stored are
      // the ended session's; remove them unless a newer login replaced them.
      if (error.tokens) discardEnded(error.tokens);
      // Drop the tokens in hand, unless this tab logged in anew meanwhile (`held` changed).
      if (held === mine) held = null;
      log("logout", error.message);
      setStatus("logged out", "warn");
      return { outcome: "logged-out" };
    }
    counters.errors++;
    log("error", `${error.name}: ${error.message}`);
    setStatus(error.name, "bad");
    return { outcome: "error", error: `${error.name}: ${error.message}` };
  } finally {
    render();
  }
}

async function doLogin() {
  await finishLogin(await login());
}

/** Stores freshly issued tokens and tells every context (a new session). */
async function finishLogin(tokens) {
  storeTokens(tokens);
  held = tokens;
  await manager.restoreSession(tokens);
  const guard = await manager.spinLock();
  try {
    await guard.saveInMemoryAndDb(tokens);
  } finally {
    guard.release();
  }
  log("login", `new session ${short(manager.knownSessionHash)}`);
  setStatus("tokens current", "ok");
  render();
}

async function logout() {
  const tokens = loadTokens();
  // The tombstone first, then the storage: a refresh whose save() lands in
  // between is told (LoggedOutError with tokens) instead of leaving them.
  try {
    await manager.onLogout();
  } finally {
    clearTokens();
    held = null;
  }
  if (tokens) await revoke(tokens.refreshToken).catch(() => {});
  log("logout", "logged out in this tab");
  setStatus("logged out", "warn");
  render();
}

/** All tabs refresh at the same instant `at` (a Date.now() timestamp). */
function expireEverywhere(at = Date.now() + 150) {
  tellOtherTabs(at);
  return refreshAt(at);
}

const refreshAt = (at) => callAt(at, refresh);

/** Starts the worker and waits until its manager knows the session. */
const startWorker = () => askWorker("ping");

async function refreshFromWorker() {
  const done = await askWorker("refresh");
  log(done.outcome ?? "error", `worker: ${done.outcome ?? done.error}`);
  render();
  return done;
}

followOtherTabs(refresh);

async function start() {
  await init();
  // ?lockTimeoutMs=…&lock=lease (for the lifecycle tests).
  const query = pageQuery();
  const options = { session: SESSION, holder: `tab-${Math.random().toString(16).slice(2, 6)}` };
  if (query.has("lockTimeoutMs")) options.lockTimeoutMs = Number(query.get("lockTimeoutMs"));
  if (query.has("lock")) options.lock = query.get("lock");
  manager = await CrossTabRefreshManager.open(options);
  $("holder").textContent = manager.holder;
  $("lock-kind").textContent = manager.lockKind;
  manager.subscribe((event) => {
    log(event.type === "logout" ? "logout" : "heard", `another context ${event.type === "logout" ? "logged out" : "stored"} ${short(event.dbHash)} (generation ${event.generation})`);
    if (event.type === "logout") setStatus("logged out", "warn");
    // A tab that knew no session (opened before the login) picks it up now.
    // A tab that knows one does not: its next refresh() adopts the new
    // tokens, and restoring here could race a refresh queued for the lock.
    const tokens = loadTokens();
    if (event.type === "refreshed" && manager.knownSessionHash === null && tokens) {
      held = tokens;
      manager.restoreSession(tokens).then(() => setStatus("tokens restored", "ok"));
    }
    render();
  });
  const returned = await completeLogin();
  const tokens = loadTokens();
  if (returned) {
    await finishLogin(returned);
  } else if (tokens) {
    held = tokens;
    await manager.restoreSession(tokens);
    setStatus("tokens restored", "ok");
  } else {
    setStatus("logged out", "warn");
  }
  $("login").onclick = doLogin;
  $("refresh").onclick = refresh;
  $("expire-all").onclick = () => expireEverywhere();
  $("logout").onclick = logout;
  $("open-tab").onclick = () => window.open(location.href, "_blank");
  $("worker").onclick = refreshFromWorker;
  setInterval(() => renderLock(manager), 250);
  window.addEventListener("storage", render);
  await render();
  log("ready", `${manager.holder} opened ${SESSION} with ${manager.lockKind}, against ${serverKind() === "oidc" ? "oidc-provider" : "the mock server"}`);
  window.demo = {
    ready: true,
    knownHash: () => manager.knownSessionHash,
    refreshStealing,
    pauseAt: (point) => {
      pause.at = point;
    },
    paused: () => pause.reached,
    resume: () => pause.resume?.(),
    /** Whether the server accepts the access token this tab holds now. */
    whoami: async () => {
      const { accessToken } = held ?? {};
      return (await fetch(userinfoEndpoint(), { headers: { authorization: `Bearer ${accessToken}` } })).status;
    },
    login: doLogin,
    refresh,
    refreshAt,
    expireEverywhere,
    logout,
    refreshFromWorker,
    startWorker,
    state: async () => ({
      holder: manager.holder,
      lockKind: manager.lockKind,
      status: status(),
      knownHash: manager.knownSessionHash,
      stored: await manager.storedState(),
      counters: { ...counters },
      loggedIn: loadTokens() !== null,
      // The tokens this tab uses are the ones the app stores.
      current: held !== null && held.accessToken === loadTokens()?.accessToken,
    }),
  };
}

start().catch((error) => {
  setStatus(`${error.name}: ${error.message}`, "bad");
  window.demo = { ready: true, error: `${error.name}: ${error.message}` };
});
