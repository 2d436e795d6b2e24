// Lifecycles in Firefox and WebKitGTK, in separate windows of one browser
// profile (WebDriver: geckodriver, WebKitWebDriver under Xvfb), against
// oidc-provider with its reuse detection on: hidden tabs under real
// throttling, clock jumps under the lease lock, a window closed after its
// token request reached the server. Chromium runs the same in
// tests/e2e/lifecycle.test.mjs and interruptions.test.mjs.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "../../www/server.mjs";
import { resetStats, setLatency, stats } from "../../scripts/tabs.mjs";
import { inWindow, loginWindows, openWindows, raceWindows, startSession } from "../../scripts/webdriver.mjs";

for (const engine of ["firefox", "webkit"]) {
  describe(`${engine}, lifecycles`, () => {
    let session;
    let server;

    before(async () => {
      session = await startSession(engine);
    });

    after(async () => {
      await server?.close();
      await session?.stop();
    });

    for (const lock of ["web-locks", "lease"]) {
      test(`hidden tabs, real throttling, ${lock}: one grant per round, the grant lives`, async () => {
        await server?.close();
        server = await startServer({ latencyMs: 20, oidc: true });
        const { driver } = session;
        // Tabs of one window: only the selected one is visible.
        const url = `${server.url}/${lock === "lease" ? "?lock=lease" : ""}`;
        const handles = [await driver.getWindowHandle()];
        await driver.get(url);
        for (let i = 1; i < 4; i++) {
          await driver.switchTo().newWindow("tab");
          await driver.get(url);
          handles.push(await driver.getWindowHandle());
        }
        for (const handle of handles) {
          await inWindow(driver, handle, () =>
            new Promise((resolve) => {
              (function poll() {
                if (window.demo?.ready) resolve();
                else setTimeout(poll, 50);
              })();
            }),
          );
        }
        await loginWindows(driver, handles);
        for (let round = 1; round <= 3; round++) {
          await resetStats(server);
          const results = await raceWindows(driver, handles, async (t, fired) => {
            await new Promise((resolve) => setTimeout(resolve, t - Date.now()));
            const visibility = document.visibilityState;
            fired();
            return { ...(await window.demo.refresh()), visibility };
          });
          const hidden = results.filter((r) => r.visibility === "hidden").length;
          assert.ok(hidden >= handles.length - 1, `round ${round}: only ${hidden} tabs were hidden: ${JSON.stringify(results)}`);
          assert.equal(results.filter((r) => r.outcome === "refreshed").length, 1, `round ${round}: ${JSON.stringify(results)}`);
          assert.equal(results.filter((r) => r.outcome === "adopted").length, handles.length - 1, `round ${round}`);
          const s = await stats(server);
          assert.equal(s.refreshes, 1, `round ${round}: ${s.refreshes} refresh grants`);
          assert.equal(s.invalidGrant, 0);
          assert.equal(s.revoked, 0);
        }
        await closeAllBut(handles);
      });
    }

    /** Opens `count` windows against a fresh oidc-provider and logs in. */
    async function loggedInWindows(count, path = "/") {
      await server?.close();
      server = await startServer({ latencyMs: 20, oidc: true });
      const handles = await openWindows(session.driver, `${server.url}${path}`, count);
      await loginWindows(session.driver, handles);
      await resetStats(server);
      return handles;
    }

    /** Closes every window but the first of `handles`, and the server. */
    async function closeAllBut(handles) {
      const { driver } = session;
      for (const handle of handles.slice(1)) {
        await driver.switchTo().window(handle);
        await driver.close();
      }
      await driver.switchTo().window(handles[0]);
      await server.close();
      server = undefined;
    }

    const pausedAt = (point) =>
      new Promise((resolve) => {
        (function poll() {
          if (window.demo.paused() === point) resolve();
          else setTimeout(poll, 50);
        })();
      });

    for (const [who, holderOffset, waiterOffset] of [
      ["the holder's clock jumps ahead 1 hour", 3_600_000, 0],
      ["the holder's clock jumps back 1 hour", -3_600_000, 0],
      ["the waiter's clock jumps ahead 1 hour", 0, 3_600_000],
    ]) {
      test(`lease lock, ${who}: no spent token is sent, the late write is fenced, the grant lives`, async () => {
        const { driver } = session;
        // A window that is not the session's first: that one stays open.
        const [keep, holder, waiter] = await loggedInWindows(3, "/?lock=lease&lockTimeoutMs=1500");
        // In the page's own scope: Firefox runs WebDriver scripts in a
        // sandbox whose Date is not the page's.
        const shift = (offset) => {
          const script = document.createElement("script");
          script.textContent = `{ const real = Date.now; Date.now = () => real() + ${offset}; }`;
          document.head.append(script);
        };
        await inWindow(driver, holder, shift, holderOffset);
        await inWindow(driver, waiter, shift, waiterOffset);
        await inWindow(driver, holder, () => {
          window.demo.pauseAt("before-network");
          window.late = window.demo.refresh();
        });
        await inWindow(driver, holder, pausedAt, "before-network");
        const looksLive = holderOffset - waiterOffset >= 0;
        const first = await inWindow(driver, waiter, () => window.demo.refresh());
        if (looksLive) {
          assert.match(first.error ?? "", /^LockTimeoutError/, JSON.stringify(first));
          assert.equal((await inWindow(driver, waiter, () => window.demo.refreshStealing())).outcome, "refreshed");
        } else {
          assert.equal(first.outcome, "refreshed", `the lease looked lapsed: ${JSON.stringify(first)}`);
        }
        await inWindow(driver, holder, () => window.demo.resume());
        const result = await inWindow(driver, holder, () => window.late);
        assert.equal(result.outcome, "adopted", `its write was fenced: ${JSON.stringify(result)}`);
        const s = await stats(server);
        assert.equal(s.invalidGrant, 0, "no spent refresh token was sent");
        assert.equal(s.revoked, 0);
        for (const handle of [holder, waiter]) assert.equal(await inWindow(driver, handle, () => window.demo.whoami()), 200);
        await closeAllBut([keep, holder, waiter]);
      });
    }

    test("a window closed after its token request reached the real server: the window that takes over sends the spent token once, the provider revokes, the store is untouched", async () => {
      const { driver } = session;
      const [keep, holder, other] = await loggedInWindows(3);
      await setLatency(server, 2_000);
      await inWindow(driver, holder, () => {
        window.demo.refresh();
      });
      // The provider rotated on receipt; the answer is on its way back.
      while ((await stats(server)).refreshes < 1) await new Promise((resolve) => setTimeout(resolve, 10));
      await inWindow(driver, other, () => {
        window.waiting = window.demo.refresh();
      });
      await inWindow(driver, other, () =>
        new Promise((resolve) => {
          (function poll() {
            if (document.getElementById("status").textContent === "refreshing") resolve();
            else setTimeout(poll, 50);
          })();
        }),
      );
      await driver.switchTo().window(holder);
      await driver.close();
      await setLatency(server, 20);
      const result = await inWindow(driver, other, () => window.waiting);
      assert.equal(result.outcome, "error", JSON.stringify(result));
      assert.match(result.error, /^CallbackError/);
      const s = await stats(server);
      assert.equal(s.invalidGrant, 1, "the window that took over sent the spent token once");
      assert.equal(s.revoked, 1, "and oidc-provider revoked the grant");
      const view = await inWindow(driver, keep, () => window.demo.state());
      assert.notEqual(view.stored.dbHash, null, "the store is untouched");
      await closeAllBut([keep, other]);
    });
  });
}
