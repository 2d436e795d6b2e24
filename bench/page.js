// Benchmark page: exposes `window.bench` to the runner. Both implementations
// are loaded in the same page and do the same work.
const started = performance.now();
const lib = await import("/pkg/cross_tab_refresh.js");
await lib.default();
const { PlainManager, PlainGuard } = await import("/bench/plain.js");
const TOKENS = (n) => ({ accessToken: `access-${n}`, refreshToken: `refresh-${n}` });

const impls = {
  lib: {
    open: (session) => lib.CrossTabRefreshManager.open({ session, databaseName: "bench-lib" }),
    refresh: (manager, handlers) => manager.refresh(handlers),
  },
  plain: {
    open: (session) => PlainManager.open({ session, databaseName: "bench-plain" }),
    refresh: (manager, handlers) => PlainGuard.refresh(manager, handlers),
  },
};

const managers = {};
async function manager(impl, session) {
  const key = `${impl}:${session}`;
  managers[key] ??= await impls[impl].open(session);
  return managers[key];
}

let counter = 0;

// The shared counter lives in IndexedDB (coherent across tabs, unlike
// localStorage), read and written in separate transactions so that only the
// lock keeps increments from being lost.
const counterDb = new Promise((resolve, reject) => {
  const open = indexedDB.open("bench-counter", 1);
  open.onupgradeneeded = () => open.result.createObjectStore("counters");
  open.onsuccess = () => resolve(open.result);
  open.onerror = () => reject(open.error);
});
async function counterOp(mode, key, value) {
  const db = await counterDb;
  return new Promise((resolve, reject) => {
    const tx = db.transaction("counters", mode);
    const req = mode === "readonly" ? tx.objectStore("counters").get(key) : tx.objectStore("counters").put(value, key);
    tx.oncomplete = () => resolve(req.result);
    tx.onerror = () => reject(tx.error);
  });
}
const readCounter = async (key) => (await counterOp("readonly", key)) ?? 0;
const writeCounter = (key, value) => counterOp("readwrite", key, value);

window.bench = {
  loadMs: performance.now() - started,

  /** Time from a fresh import to an open manager. "lib": `init()` fetches
   * the .wasm once the glue has loaded; "lib-alongside": the .wasm is
   * requested together with the glue (the loading the README shows), so the
   * two requests overlap; "plain": one module. */
  async openMs(impl) {
    const t0 = performance.now();
    if (impl === "plain") {
      const fresh = await import(`/bench/plain.js?fresh=${Math.random()}`);
      await fresh.PlainManager.open({ session: `open-${Math.random()}`, databaseName: "bench-plain" });
    } else {
      const wasm = impl === "lib-alongside" ? fetch("/pkg/cross_tab_refresh_bg.wasm") : undefined;
      const fresh = await import(`/pkg/cross_tab_refresh.js?fresh=${Math.random()}`);
      await fresh.default(wasm && { module_or_path: wasm });
      await fresh.CrossTabRefreshManager.open({ session: `open-${Math.random()}`, databaseName: "bench-lib" });
    }
    return performance.now() - t0;
  },

  /** `n` lock cycles; `write` adds a fenced save. Returns ms per cycle. */
  async cycles(impl, session, n, write) {
    const m = await manager(impl, session);
    await m.restoreSession(TOKENS(0));
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const guard = await m.spinLock();
      void guard.hashMismatch;
      if (write) await guard.saveInMemoryAndDb(TOKENS(++counter));
      guard.release();
    }
    return (performance.now() - t0) / n;
  },

  /** `blocks` rounds of `n` cycles of each implementation in turn, the
   * order swapped every round, so that whatever else the machine does falls
   * on both alike. Returns ms per cycle of each block, by implementation. */
  async interleaved(session, blocks, n, write) {
    const samples = { lib: [], plain: [] };
    for (let block = 0; block < blocks; block++) {
      for (const impl of block % 2 ? ["plain", "lib"] : ["lib", "plain"]) {
        samples[impl].push(await this.cycles(impl, session, n, write));
      }
    }
    return samples;
  },

  /** `n` read-increment-writes of a shared counter under the lock, each with a fenced save. */
  async contend(impl, session, n, startAt) {
    const m = await manager(impl, session);
    await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));
    for (let i = 0; i < n; i++) {
      const guard = await m.spinLock();
      const key = `${impl}:${session}`;
      const value = await readCounter(key);
      await guard.saveInMemoryAndDb(TOKENS(value + 1));
      await writeCounter(key, value + 1);
      guard.release();
    }
    return Date.now();
  },

  counter: (impl, session) => readCounter(`${impl}:${session}`),

  /** One refresh at `startAt` against the mock token endpoint, tokens in localStorage. */
  async refreshAt(impl, session, startAt) {
    const m = await manager(impl, session);
    const key = `tokens:${impl}:${session}`;
    const load = () => JSON.parse(localStorage.getItem(key));
    await m.restoreSession(load());
    await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));
    const handlers = {
      async refresh() {
        const response = await fetch("/oauth/token", {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: load().refreshToken }),
        });
        const body = await response.json();
        if (!response.ok) throw new Error(body.error);
        return { accessToken: body.access_token, refreshToken: body.refresh_token };
      },
      reload: () => load(),
      save: (tokens) => localStorage.setItem(key, JSON.stringify(tokens)),
    };
    const result = await impls[impl].refresh(m, handlers);
    return { outcome: result.outcome, at: Date.now() };
  },

  async login(impl, session) {
    const body = await (await fetch("/oauth/session", { method: "POST" })).json();
    const tokens = { accessToken: body.access_token, refreshToken: body.refresh_token };
    localStorage.setItem(`tokens:${impl}:${session}`, JSON.stringify(tokens));
    const m = await manager(impl, session);
    await m.restoreSession(tokens);
    const guard = await m.spinLock();
    await guard.saveInMemoryAndDb(tokens);
    guard.release();
  },

  /** Takes the lock and never releases it (the runner then closes this tab). */
  async hold(impl, session) {
    const m = await manager(impl, session);
    window.heldGuard = await m.spinLock();
  },

  /** Waits for the lock; resolves with the time it was granted. */
  async waitForLock(impl, session) {
    const m = await manager(impl, session);
    const guard = await m.spinLock();
    const at = Date.now();
    guard.release();
    return at;
  },
};
window.benchReady = true;
