// End-to-end: real Chromium tabs of one origin against the mock OAuth server.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "../../www/server.mjs";
import { assertRaced, launchBrowser, login, openTabs, race, resetStats, setLatency, states, stats, waitReady } from "../../scripts/tabs.mjs";

let server;
let browser;

before(async () => {
  server = await startServer({ latencyMs: 20 });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** A fresh browser context (its own localStorage, IndexedDB and locks) with `n` tabs, logged in. */
async function session(n) {
  const context = await browser.newContext();
  const pages = await openTabs(context, server.url, n);
  await login(pages);
  await setLatency(server, 20);
  return { context, pages };
}

async function assertConverged(pages) {
  const views = await states(pages);
  const hashes = new Set(views.map((v) => v.knownHash));
  assert.equal(hashes.size, 1, `tabs disagree: ${[...hashes].join(", ")}`);
  assert.ok(hashes.has(views[0].stored.dbHash), "the tabs know the stored hash");
  assert.ok(views.every((v) => v.loggedIn));
  assert.ok(views.every((v) => v.current), "every tab goes on with the tokens the app stores");
}

/**
 * Brings tabs that took no part in the last refresh up to date, as their
 * next refresh() would: each adopts the stored tokens, with no token call.
 * (A race between a stale tab and a current one may otherwise refresh twice
 * in a row: the stale one adopts first, then the current one refreshes.)
 */
async function catchUp(pages) {
  await resetStats(server);
  for (const page of pages) {
    const [view] = await states([page]);
    if (view.knownHash !== view.stored.dbHash) {
      assert.equal((await page.evaluate(() => window.demo.refresh())).outcome, "adopted");
    }
  }
  assert.equal((await stats(server)).tokenCalls, 0, "catching up calls no token endpoint");
  await assertConverged(pages);
}

/** Resolves once `condition()` holds (checked every 10 ms, for up to 10 s). */
async function waitFor(condition) {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("timed out waiting for a condition");
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function whoami(page) {
  return page.evaluate(async () => {
    const { accessToken } = JSON.parse(localStorage.getItem("demo.tokens"));
    return (await fetch("/api/whoami", { headers: { authorization: `Bearer ${accessToken}` } })).status;
  });
}

describe("tabs of one session", () => {
  test("16 tabs race for 10 rounds: one token call per round, no invalid_grant, all converge", async () => {
    const { context, pages } = await session(16);
    for (let round = 1; round <= 10; round++) {
      await resetStats(server);
      const { results } = await race(pages);
      const s = await stats(server);
      assert.equal(s.tokenCalls, 1, `round ${round}: ${s.tokenCalls} token calls`);
      assert.equal(s.invalidGrant, 0, `round ${round}: invalid_grant`);
      assert.equal(results.filter((r) => r.outcome === "refreshed").length, 1, `round ${round}`);
      assert.equal(results.filter((r) => r.outcome === "adopted").length, 15, `round ${round}`);
      assertRaced(results, `round ${round}`);
      await assertConverged(pages);
    }
    assert.equal(await whoami(pages[7]), 200, "the converged access token works");
    await context.close();
  });

  for (const how of ["closed", "crashed"]) {
    test(`the tab holding the lock is ${how} after its token request reached the server: the loss is reported once, the lock is free`, async () => {
      // What really happens: the server rotates on receipt, the new tokens
      // die with the tab, and the refresh token every other tab knows is
      // spent. No library can bring those tokens back; this one must not
      // make it worse: the lock is freed, the tab that takes over reports
      // the refused grant as a named error, the store is untouched, and a
      // new login goes on as usual.
      const { context, pages } = await session(3);
      const [holder, other, witness] = pages;
      const [before] = await states([witness]);
      await setLatency(server, 2_000);
      await resetStats(server);
      // 1. The holder's token request reaches the server (which rotates).
      const dying = holder.evaluate(() => window.demo.refresh()).catch(() => "gone");
      await waitFor(async () => (await stats(server)).refreshes === 1);
      // 2. Another tab asks to refresh and waits for the lock.
      const waiting = other.evaluate(() => window.demo.refresh());
      await other.waitForFunction(() => document.getElementById("status").textContent === "refreshing");
      // 3. The holder disappears before the response arrives.
      if (how === "closed") {
        await holder.close();
      } else {
        const cdp = await context.newCDPSession(holder);
        // The crash never answers the command: do not wait for it.
        cdp.send("Page.crash").catch(() => {});
      }
      await setLatency(server, 20);
      const result = await waiting;
      await dying;
      assert.equal(result.outcome, "error", JSON.stringify(result));
      assert.match(result.error, /^CallbackError: the refresh\(\) callback failed/);
      const s = await stats(server);
      assert.equal(s.refreshes, 1, "only the dead tab's request rotated");
      assert.equal(s.invalidGrant, 1, "the tab that took over sent the spent token once, and said so");
      const [view] = await states([other]);
      assert.equal(view.stored.dbHash, before.stored.dbHash, "the store is untouched");
      assert.equal(view.stored.generation, before.stored.generation);
      // The lock is free: a new login in one tab, and the next race makes
      // one call and everyone converges.
      await login([other]);
      await catchUp([other, witness]);
      await resetStats(server);
      await race([other, witness]);
      assert.equal((await stats(server)).tokenCalls, 1);
      await assertConverged([other, witness]);
      // Closing a context that holds a crashed page hangs: close the live tabs.
      if (how === "crashed") await Promise.all([other.close(), witness.close()]);
      else await context.close();
    });
  }

  test("logout in one tab: every other tab, its tokens still in hand, is refused by the library", async () => {
    const { context, pages } = await session(4);
    const [leaver, ...others] = pages;
    await leaver.evaluate(() => window.demo.logout());
    for (const page of others) {
      await page.waitForFunction(() => document.getElementById("status").textContent === "logged out", null, { timeout: 5000 });
    }
    await resetStats(server);
    const { results } = await race(others);
    assert.deepEqual(results.map((r) => r.outcome), ["logged-out", "logged-out", "logged-out"]);
    assert.equal((await stats(server)).tokenCalls, 0, "no tab refreshed after the logout");
    for (const view of await states(others)) assert.equal(view.stored.dbHash, null);
    await context.close();
  });

  test("a tab reloaded while it waits for the lock comes back on the new tokens", async () => {
    const { context, pages } = await session(3);
    const [holder, reloading, witness] = pages;
    await setLatency(server, 500);
    await resetStats(server);
    const first = holder.evaluate(() => window.demo.refresh());
    await holder.waitForFunction(() => document.getElementById("status").textContent === "refreshing");
    reloading.evaluate(() => window.demo.refresh()).catch(() => {});
    // Its request is queued at the browser's lock manager.
    await reloading.waitForFunction(async () => (await navigator.locks.query()).pending.length === 1, null, { polling: 20 });
    await reloading.reload();
    await waitReady(reloading);
    assert.equal((await first).outcome, "refreshed");
    // The reloaded document's request went with it: nothing waits.
    await holder.waitForFunction(async () => (await navigator.locks.query()).pending.length === 0, null, { polling: 20, timeout: 5000 });
    await setLatency(server, 20);
    assert.equal((await stats(server)).tokenCalls, 1, "the reloaded tab's queued request went away");
    // Its lock request did not linger: after catching up, the next race makes one call.
    await catchUp([holder, reloading, witness]);
    await resetStats(server);
    const { results } = await race([holder, reloading, witness]);
    assert.equal((await stats(server)).tokenCalls, 1);
    assert.ok(results.every((r) => r.outcome !== "error"));
    await assertConverged([holder, reloading, witness]);
    await context.close();
  });

  test("tabs and a dedicated worker of the same session refresh once together", async () => {
    const { context, pages } = await session(4);
    const started = await pages[1].evaluate(() => window.demo.startWorker());
    assert.ok(started.ready);
    await resetStats(server);
    const at = Date.now() + 300;
    const [tabResults, workerResult] = await Promise.all([
      Promise.all(pages.map((p) => p.evaluate((t) => window.demo.refreshAt(t), at))),
      pages[1].evaluate((t) => new Promise((r) => setTimeout(() => r(window.demo.refreshFromWorker()), t - Date.now())), at),
    ]);
    assert.ok(!workerResult.error, workerResult.error);
    const outcomes = [...tabResults.map((r) => r.outcome), workerResult.outcome];
    assert.equal((await stats(server)).tokenCalls, 1);
    assert.equal(outcomes.filter((o) => o === "refreshed").length, 1, outcomes.join(","));
    assert.equal(outcomes.filter((o) => o === "adopted").length, 4, outcomes.join(","));
    await assertConverged(pages);
    assert.equal(workerResult.hash, (await states(pages))[0].knownHash);
    await context.close();
  });
});
