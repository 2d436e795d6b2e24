// Browser lifecycles where peers failed, in Chromium, against oidc-provider
// (a spent refresh token revokes the grant):
// - a tab frozen (CDP Page.setWebLifecycleState) while it holds the lock,
//   before and after its token request: the others time out and steal, the
//   thawed tab's late write is fenced, it ends on the newest tokens, and the
//   grant is never revoked;
// - real background throttling of hidden tabs, and the back/forward cache.
// (Clock jumps, a closed tab and going offline: interruptions.test.mjs.)
//
// Playwright's own launch emulates focus, which keeps every page "visible",
// and then freezing a page freezes nothing. So the freeze tests start
// Chromium themselves and attach over CDP without Playwright's defaults, and
// check that the frozen tab's timers really stopped.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "../../www/server.mjs";
import { launchUnemulated, login, openTabs, race, resetStats, stats, states, waitReady } from "../../scripts/tabs.mjs";

const LOCK_TIMEOUT_MS = 1_500;

let server;

before(async () => {
  server = await startServer({ latencyMs: 20, oidc: true });
});

after(async () => {
  await server?.close();
});

/** Counts timer ticks in `page` (every 50 ms), to tell whether it was frozen. */
async function startTicking(page) {
  await page.evaluate(() => {
    window.ticks = 0;
    window.froze = false;
    setInterval(() => window.ticks++, 50);
    document.addEventListener("freeze", () => (window.froze = true));
  });
}

for (const point of ["before-network", "after-save"]) {
  describe(`a tab frozen while it holds the lock (${point === "before-network" ? "before its token request" : "after its token request and save"})`, () => {
    test("the others time out and steal; its late write is fenced; it ends on the newest tokens; the grant lives", async () => {
      const chromium = await launchUnemulated();
      try {
        const pages = await openTabs(chromium.context, `${server.url}/?lockTimeoutMs=${LOCK_TIMEOUT_MS}`, 2);
        const [frozen, other] = pages;
        await login(pages);
        await startTicking(frozen);
        await resetStats(server);

        // 1. The tab takes the lock and stops at `point`; then it is frozen.
        await frozen.evaluate((p) => window.demo.pauseAt(p), point);
        const late = frozen.evaluate(() => window.demo.refresh());
        await frozen.waitForFunction((p) => window.demo.paused() === p, point, { polling: 50 });
        const ticksBefore = await frozen.evaluate(() => window.ticks);
        const cdp = await chromium.context.newCDPSession(frozen);
        await cdp.send("Page.setWebLifecycleState", { state: "frozen" });
        const frozenAt = Date.now();

        // 2. Another tab waits its lock timeout, then steals and refreshes.
        const waited = await other.evaluate(() => window.demo.refresh());
        assert.equal(waited.outcome, "error");
        assert.match(waited.error, /^LockTimeoutError/);
        const stolen = await other.evaluate(() => window.demo.refreshStealing());
        assert.equal(stolen.outcome, "refreshed", JSON.stringify(stolen));

        // 3. The frozen tab thaws and goes on.
        await cdp.send("Page.setWebLifecycleState", { state: "active" });
        const frozenMs = Date.now() - frozenAt;
        const { ticks, froze } = await frozen.evaluate(() => ({ ticks: window.ticks, froze: window.froze }));
        assert.ok(froze, "the page got a freeze event");
        assert.ok(ticks - ticksBefore < frozenMs / 50 / 4, `timers ran while frozen: ${ticks - ticksBefore} ticks in ${frozenMs} ms`);
        await frozen.evaluate(() => window.demo.resume());
        const result = await late;
        assert.equal(result.outcome, "adopted", `its write was fenced and it adopted: ${JSON.stringify(result)}`);

        const s = await stats(server);
        assert.equal(s.invalidGrant, 0, "no spent refresh token was sent");
        assert.equal(s.revoked, 0, "the grant was never revoked");
        // Two rotations, each with the then-current refresh token: the
        // stealer's, and the frozen tab's (before the freeze, or after it
        // with the token the stealer stored).
        assert.equal(s.refreshes, 2, JSON.stringify(s));
        // The frozen tab holds the newest tokens; the other catches up without a grant.
        const [view] = await states([frozen]);
        assert.equal(view.knownHash, view.stored.dbHash, "it ends on the stored (newest) tokens");
        const [otherView] = await states([other]);
        if (otherView.knownHash !== otherView.stored.dbHash) {
          await resetStats(server);
          assert.equal((await other.evaluate(() => window.demo.refresh())).outcome, "adopted");
          assert.equal((await stats(server)).tokenCalls, 0);
        }
        for (const page of pages) assert.equal(await page.evaluate(() => window.demo.whoami()), 200);
      } finally {
        await chromium.close();
      }
    });
  });
}

describe("real background throttling: hidden tabs, no anti-throttling switches", () => {
  for (const lock of ["web-locks", "lease"]) {
    test(`${lock}: hidden tabs race, one grant per round, the grant lives`, async () => {
      const chromium = await launchUnemulated();
      try {
        const query = lock === "lease" ? "?lock=lease" : "";
        const pages = await openTabs(chromium.context, `${server.url}/${query}`, 4);
        await login(pages);
        const visibility = await Promise.all(pages.map((p) => p.evaluate(() => document.visibilityState)));
        assert.ok(visibility.filter((v) => v === "hidden").length >= 3, `tabs should be hidden: ${visibility}`);
        const kinds = await Promise.all(pages.map((p) => p.evaluate(async () => (await window.demo.state()).lockKind)));
        assert.ok(kinds.every((k) => k === lock), `lock kinds: ${kinds}`);
        for (let round = 1; round <= 3; round++) {
          await resetStats(server);
          const { results } = await race(pages);
          const s = await stats(server);
          assert.equal(s.refreshes, 1, `round ${round}: ${JSON.stringify(results)}`);
          assert.equal(s.invalidGrant, 0, `round ${round}`);
          assert.equal(s.revoked, 0, `round ${round}`);
          const hashes = new Set((await states(pages)).map((v) => v.knownHash));
          assert.equal(hashes.size, 1, `round ${round}: the tabs disagree`);
        }
        for (const page of pages) assert.equal(await page.evaluate(() => window.demo.whoami()), 200);
      } finally {
        await chromium.close();
      }
    });
  }
});

describe("the back/forward cache", () => {
  const remember = () => addEventListener("pageshow", (event) => (window.restoredFromCache = event.persisted));

  /** Navigates `page` away (to another page of the origin). */
  async function away(page) {
    await page.evaluate(remember); // this document, should it be restored
    await page.addInitScript(remember); // a new one, should it be loaded again
    await page.goto(`${server.url}/config.json`);
  }

  /** Navigates `page` back; resolves with how it came back. */
  async function back(page) {
    // A page restored from the cache fires pageshow, not load.
    await page.goBack({ waitUntil: "commit" });
    await page.waitForFunction(() => window.restoredFromCache !== undefined, null, { polling: 50 });
    await waitReady(page);
    return page.evaluate(() => {
      const [entry] = performance.getEntriesByType("navigation");
      return {
        restored: window.restoredFromCache === true,
        reasons: (entry?.notRestoredReasons?.reasons ?? []).map((r) => r.reason),
      };
    });
  }

  for (const role of ["holds", "waits for"]) {
    test(`a tab that ${role} the lock, navigated away and back: the lock is not kept by the cached page, no spent token, the grant lives`, async (t) => {
      // Playwright's launch turns the cache off; this Chromium is started by hand.
      const chromium = await launchUnemulated();
      try {
        const pages = await openTabs(chromium.context, `${server.url}/?lockTimeoutMs=${LOCK_TIMEOUT_MS}`, 2);
        const [other, leaving] = pages;
        await login(pages);
        await resetStats(server);
        const [holder, waiter] = role === "holds" ? [leaving, other] : [other, leaving];
        await holder.evaluate(() => window.demo.pauseAt("before-network"));
        const held = holder.evaluate(() => window.demo.refresh()).catch((error) => ({ outcome: "gone", error: String(error) }));
        await holder.waitForFunction(() => window.demo.paused() === "before-network", null, { polling: 50 });
        const waited = waiter.evaluate(() => window.demo.refresh()).catch((error) => ({ outcome: "gone", error: String(error) }));
        await waiter.waitForFunction(() => document.getElementById("status").textContent === "refreshing", null, { polling: 50 });
        await away(leaving);
        if (role === "holds") {
          // The other tab gets the lock while the page is away: Chromium
          // evicts a cached page that holds a lock another page asks for.
          const result = await waited;
          assert.equal(result.outcome, "refreshed", JSON.stringify(result));
        } else {
          await holder.evaluate(() => window.demo.resume());
          assert.equal((await held).outcome, "refreshed");
        }
        // The away page's request holds nothing: the next refresh gets the lock at once.
        const next = await other.evaluate(() => window.demo.refresh());
        assert.equal(next.outcome, "refreshed", JSON.stringify(next));
        assert.ok(next.ms < LOCK_TIMEOUT_MS, `the lock was free: ${next.ms} ms`);
        const cameBack = await back(leaving);
        t.diagnostic(`came back: ${JSON.stringify(cameBack)}`);
        if (role === "holds") {
          assert.equal(cameBack.restored, false, "a page whose lock was taken is not restored");
        }
        // Read before anything resets the counts.
        const s = await stats(server);
        assert.equal(s.invalidGrant, 0, "no spent refresh token was sent");
        assert.equal(s.revoked, 0, "the grant lives");
        // It comes back (loaded again, with a new manager) on the newest
        // tokens, or adopts them without a grant.
        const [view] = await states([leaving]);
        if (view.knownHash !== view.stored.dbHash) {
          await resetStats(server);
          assert.equal((await leaving.evaluate(() => window.demo.refresh())).outcome, "adopted");
          const after = await stats(server);
          assert.equal(after.tokenCalls, 0);
          assert.equal(after.invalidGrant, 0);
        }
        for (const page of pages) assert.equal(await page.evaluate(() => window.demo.whoami()), 200);
      } finally {
        await chromium.close();
      }
    });
  }
});
