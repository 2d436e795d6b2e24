// Interruptions a tab meets, in Chromium, against oidc-provider (a spent
// refresh token revokes the grant):
// - clock jumps under the lease lock: no spent token is sent, the late write
//   is fenced, the grant lives;
// - a tab closed after its token request reached the server: the answer is
//   lost, the provider revokes the grant, and nothing else gets worse;
// - offline, then online: a refresh fails with a named error, the store is
//   untouched, the next refresh after `online` succeeds;
// - the site's IndexedDB cleared while tabs are open (the browser closes
//   their connections): the next refreshes reopen it and go on.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "../../www/server.mjs";
import { launchBrowser, login, openTabs, race, resetStats, setLatency, stats, states, waitReady } from "../../scripts/tabs.mjs";

const LOCK_TIMEOUT_MS = 1_500;

let server;

before(async () => {
  server = await startServer({ latencyMs: 20, oidc: true });
});

after(async () => {
  await server?.close();
});

describe("clock jumps under the lease lock", () => {
  /** A tab whose clock is `offsetMs` off (Date.now, which the lease uses). */
  async function tabWithClock(context, offsetMs) {
    const page = await context.newPage();
    await page.addInitScript((offset) => {
      const real = Date.now;
      Date.now = () => real() + offset;
    }, offsetMs);
    await page.goto(`${server.url}/?lock=lease&lockTimeoutMs=${LOCK_TIMEOUT_MS}`);
    await waitReady(page);
    return page;
  }

  for (const [who, holderOffset, waiterOffset] of [
    ["the holder's clock jumps ahead 1 hour", 3_600_000, 0],
    ["the holder's clock jumps back 1 hour", -3_600_000, 0],
    ["the waiter's clock jumps ahead 1 hour", 0, 3_600_000],
  ]) {
    test(`${who}: no spent token is sent, the late write is fenced, the grant lives`, async () => {
      const browser = await launchBrowser();
      try {
        const context = await browser.newContext();
        const holder = await tabWithClock(context, holderOffset);
        const waiter = await tabWithClock(context, waiterOffset);
        await login([holder, waiter]);
        await resetStats(server);
        await holder.evaluate(() => window.demo.pauseAt("before-network"));
        const late = holder.evaluate(() => window.demo.refresh()).catch((error) => ({ outcome: "gone", error: String(error) }));
        await holder.waitForFunction(() => window.demo.paused() === "before-network", null, { polling: 50 });
        // A lease that looks live to the waiter: it waits, times out, steals.
        // One that looks lapsed: it takes the lease at once.
        const looksLive = holderOffset - waiterOffset > 0 || holderOffset === waiterOffset;
        const first = await waiter.evaluate(() => window.demo.refresh());
        if (looksLive) {
          assert.match(first.error ?? "", /^LockTimeoutError/, JSON.stringify(first));
          assert.equal((await waiter.evaluate(() => window.demo.refreshStealing())).outcome, "refreshed");
        } else {
          assert.equal(first.outcome, "refreshed", `the lease looked lapsed: ${JSON.stringify(first)}`);
        }
        await holder.evaluate(() => window.demo.resume());
        const result = await late;
        assert.equal(result.outcome, "adopted", `its write was fenced: ${JSON.stringify(result)}`);
        const s = await stats(server);
        assert.equal(s.invalidGrant, 0, "no spent refresh token was sent");
        assert.equal(s.revoked, 0);
        for (const page of [holder, waiter]) assert.equal(await page.evaluate(() => window.demo.whoami()), 200);
      } finally {
        await browser.close();
      }
    });
  }
});

describe("a tab closed after its token request reached the real server", () => {
  test("the answer is lost with the tab; the tab that takes over sends the spent token once; the provider revokes the grant", async () => {
    const browser = await launchBrowser();
    try {
      const context = await browser.newContext();
      const pages = await openTabs(context, server.url, 3);
      await login(pages);
      const [holder, other, witness] = pages;
      await setLatency(server, 2_000);
      await resetStats(server);
      const dying = holder.evaluate(() => window.demo.refresh()).catch(() => "gone");
      // The provider rotated on receipt; the answer is on its way back.
      while ((await stats(server)).refreshes < 1) await new Promise((r) => setTimeout(r, 10));
      const waiting = other.evaluate(() => window.demo.refresh());
      await other.waitForFunction(() => document.getElementById("status").textContent === "refreshing", null, { polling: 50 });
      await holder.close();
      await setLatency(server, 20);
      const result = await waiting;
      await dying;
      // What really happens: the refresh token everyone else knows is spent.
      assert.equal(result.outcome, "error");
      assert.match(result.error, /^CallbackError/);
      const s = await stats(server);
      assert.equal(s.invalidGrant, 1, "the tab that took over sent the spent token once");
      assert.equal(s.revoked, 1, "and oidc-provider revoked the grant, as reuse detection does");
      // Nothing got worse: the store is as it was, the lock is free, and
      // after a logout and a new login the tabs go on as usual.
      const [view] = await states([witness]);
      assert.notEqual(view.stored.dbHash, null);
      await other.evaluate(() => window.demo.logout());
      await login([other]);
      assert.equal((await witness.evaluate(() => window.demo.refresh())).outcome, "adopted");
      await resetStats(server);
      const { results } = await race([other, witness]);
      assert.equal((await stats(server)).refreshes, 1, JSON.stringify(results));
      assert.equal(await witness.evaluate(() => window.demo.whoami()), 200);
    } finally {
      await browser.close();
    }
  });
});

describe("offline, then online", () => {
  test("a refresh offline fails with a named error and leaves the store; the next one online succeeds", async () => {
    const browser = await launchBrowser();
    try {
      const context = await browser.newContext();
      const pages = await openTabs(context, server.url, 2);
      await login(pages);
      const [tab] = pages;
      const [before] = await states([tab]);
      await resetStats(server);
      await context.setOffline(true);
      const offline = await tab.evaluate(() => window.demo.refresh());
      assert.equal(offline.outcome, "error");
      assert.match(offline.error, /^CallbackError: the refresh\(\) callback failed/);
      const [during] = await states([tab]);
      assert.deepEqual(during.stored, before.stored, "the stored hash is untouched");
      assert.equal(during.knownHash, before.knownHash);
      await context.setOffline(false);
      await tab.evaluate(() => new Promise((resolve) => (navigator.onLine ? resolve() : addEventListener("online", resolve, { once: true }))));
      const online = await tab.evaluate(() => window.demo.refresh());
      assert.equal(online.outcome, "refreshed", JSON.stringify(online));
      const s = await stats(server);
      assert.equal(s.refreshes, 1);
      assert.equal(s.invalidGrant, 0);
      assert.equal(s.revoked, 0);
      assert.equal(await tab.evaluate(() => window.demo.whoami()), 200);
    } finally {
      await browser.close();
    }
  });
});

describe("the site's IndexedDB cleared while tabs are open", () => {
  test("the browser closes the connections; the next refreshes reopen the database and go on", async () => {
    const browser = await launchBrowser();
    try {
      const context = await browser.newContext();
      // Counts the connections the browser closes (their `close` event).
      await context.addInitScript(() => {
        window.closedByBrowser = 0;
        const open = IDBFactory.prototype.open;
        IDBFactory.prototype.open = function (...args) {
          const request = open.apply(this, args);
          request.addEventListener("success", () =>
            request.result.addEventListener("close", () => window.closedByBrowser++),
          );
          return request;
        };
      });
      const pages = await openTabs(context, server.url, 2);
      await login(pages);
      const [tab, other] = pages;
      await resetStats(server);
      assert.equal((await tab.evaluate(() => window.demo.refresh())).outcome, "refreshed");
      assert.equal((await other.evaluate(() => window.demo.refresh())).outcome, "adopted");

      const cdp = await context.newCDPSession(tab);
      await cdp.send("Storage.clearDataForOrigin", { origin: server.url, storageTypes: "indexeddb" });
      for (const page of pages) await page.waitForFunction(() => window.closedByBrowser > 0, null, { polling: 50 });

      const first = await tab.evaluate(() => window.demo.refresh());
      assert.equal(first.outcome, "refreshed", JSON.stringify(first));
      const second = await other.evaluate(() => window.demo.refresh());
      assert.equal(second.outcome, "adopted", JSON.stringify(second));
      const s = await stats(server);
      assert.equal(s.refreshes, 2);
      assert.equal(s.invalidGrant, 0);
      assert.equal(s.revoked, 0);
    } finally {
      await browser.close();
    }
  });
});
