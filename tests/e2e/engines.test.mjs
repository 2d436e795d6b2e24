// The multi-tab race in Firefox and WebKitGTK, in separate windows of one
// browser profile (WebDriver: geckodriver, WebKitWebDriver under Xvfb),
// against the mock token endpoint and against oidc-provider with its reuse
// detection on; then the lifecycles these drivers allow: hidden tabs, the
// back/forward cache, clock jumps under the lease, a window closed after its
// token request reached the server. Chromium runs the same in
// tests/e2e/tabs.test.mjs, oidc.test.mjs and lifecycle.test.mjs.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "../../www/server.mjs";
import { resetStats, setLatency, stats } from "../../scripts/tabs.mjs";
import { inWindow, loginWindows, openWindows, raceWindows, startSession } from "../../scripts/webdriver.mjs";

const WINDOWS = 6;
const ROUNDS = 5;

for (const engine of ["firefox", "webkit"]) {
  describe(`${engine}, separate windows`, () => {
    let session;
    let server;

    before(async () => {
      session = await startSession(engine);
    });

    after(async () => {
      await session?.stop();
    });

    // Each test has a server (an origin, so a storage) of its own.
    async function rounds(serverOptions, path, check) {
      await server?.close();
      server = await startServer({ latencyMs: 20, ...serverOptions });
      const { driver } = session;
      const handles = await openWindows(driver, `${server.url}${path}`, WINDOWS);
      const kinds = new Set();
      for (const handle of handles) kinds.add(await inWindow(driver, handle, async () => (await window.demo.state()).lockKind));
      await loginWindows(driver, handles);
      for (let round = 1; round <= ROUNDS; round++) {
        await resetStats(server);
        const results = await raceWindows(driver, handles);
        const s = await stats(server);
        const outcomes = results.map((r) => r.outcome);
        assert.equal(outcomes.filter((o) => o === "refreshed").length, 1, `round ${round}: ${JSON.stringify(results)}`);
        assert.equal(outcomes.filter((o) => o === "adopted").length, WINDOWS - 1, `round ${round}: ${JSON.stringify(results)}`);
        assert.equal(s.invalidGrant, 0, `round ${round}: invalid_grant`);
        await check(s, round);
        const hashes = new Set();
        for (const handle of handles) hashes.add(await inWindow(driver, handle, () => window.demo.knownHash()));
        assert.equal(hashes.size, 1, `round ${round}: the windows disagree`);
      }
      // Leave one window for the next test.
      for (const handle of handles.slice(1)) {
        await driver.switchTo().window(handle);
        await driver.close();
      }
      await driver.switchTo().window(handles[0]);
      await server.close();
      server = undefined;
      return [...kinds];
    }

    test(`${WINDOWS} windows × ${ROUNDS} rounds, Web Locks, mock endpoint: one token call per round`, async () => {
      const kinds = await rounds({}, "/", (s, round) => {
        assert.equal(s.tokenCalls, 1, `round ${round}: ${s.tokenCalls} token calls`);
      });
      assert.deepEqual(kinds, ["web-locks"]);
    });

    test(`${WINDOWS} windows × ${ROUNDS} rounds, lease lock, mock endpoint: one token call per round`, async () => {
      const kinds = await rounds({}, "/?lock=lease", (s, round) => {
        assert.equal(s.tokenCalls, 1, `round ${round}: ${s.tokenCalls} token calls`);
      });
      assert.deepEqual(kinds, ["lease"]);
    });

    test(`${WINDOWS} windows × ${ROUNDS} rounds against oidc-provider: one grant per round, the grant lives, userinfo accepts every window`, async () => {
      await rounds({ oidc: true }, "/", async (s, round) => {
        assert.equal(s.refreshes, 1, `round ${round}: ${s.refreshes} refresh_token grants`);
        assert.equal(s.revoked, 0, `round ${round}: the grant was revoked`);
        const { driver } = session;
        for (const handle of await driver.getAllWindowHandles()) {
          assert.equal(await inWindow(driver, handle, () => window.demo.whoami()), 200, `round ${round}: userinfo`);
        }
      });
    });

    test("control: the same windows refreshing on their own, without the library, revoke the grant", async () => {
      await server?.close();
      server = await startServer({ latencyMs: 100, oidc: true });
      const { driver } = session;
      const handles = await openWindows(driver, server.url, 4);
      await loginWindows(driver, handles);
      await resetStats(server);
      // Each window sends its refresh token straight to the token endpoint.
      const statuses = await raceWindows(driver, handles, async (t) => {
        await new Promise((resolve) => setTimeout(resolve, t - Date.now()));
        const { refreshToken } = JSON.parse(localStorage.getItem("demo.tokens"));
        const config = await (await fetch("/config.json")).json();
        const response = await fetch(config.tokenEndpoint, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: config.clientId }),
        });
        return response.status;
      });
      const s = await stats(server);
      assert.equal(statuses.filter((status) => status === 200).length, 1, JSON.stringify(statuses));
      assert.equal(s.invalidGrant, 3, "three windows sent the spent token");
      assert.ok(s.revoked >= 1, "reuse detection revoked the grant");
      for (const handle of handles.slice(1)) {
        await driver.switchTo().window(handle);
        await driver.close();
      }
      await driver.switchTo().window(handles[0]);
      await server.close();
      server = undefined;
    });

    test("a window that holds the lock, navigated away and back: the lock is not kept by the page that left, no spent token, the grant lives", async (t) => {
      await server?.close();
      server = await startServer({ latencyMs: 20, oidc: true });
      const { driver } = session;
      const handles = await openWindows(driver, `${server.url}/?lockTimeoutMs=1500`, 2);
      await loginWindows(driver, handles);
      await resetStats(server);
      const [other, leaving] = handles;
      await inWindow(driver, leaving, () => {
        window.demo.pauseAt("before-network");
        window.demo.refresh();
        window.leftThisDocument = true;
        addEventListener("pageshow", (event) => (window.restoredFromCache = event.persisted));
      });
      await inWindow(driver, leaving, () =>
        new Promise((resolve) => {
          (function poll() {
            if (window.demo.paused() === "before-network") resolve();
            else setTimeout(poll, 50);
          })();
        }),
      );
      await driver.switchTo().window(leaving);
      await driver.get(`${server.url}/config.json`);
      // While the page is away, the other window takes the lock.
      const result = await inWindow(driver, other, () => window.demo.refresh());
      assert.equal(result.outcome, "refreshed", `the page that left kept the lock: ${JSON.stringify(result)}`);
      await driver.switchTo().window(leaving);
      await driver.navigate().back();
      const restored = await inWindow(driver, leaving, () =>
        new Promise((resolve) => {
          (function poll() {
            if (window.demo?.ready) resolve(window.leftThisDocument === true);
            else setTimeout(poll, 50);
          })();
        }),
      );
      t.diagnostic(`came back ${restored ? "from the back/forward cache" : "as a new load"}`);
      if (restored) {
        // Its refresh goes on: the write is fenced, it adopts.
        await inWindow(driver, leaving, () => window.demo.resume());
      }
      const view = await inWindow(driver, leaving, async () => {
        const deadline = Date.now() + 10_000;
        for (;;) {
          const state = await window.demo.state();
          if (state.status !== "refreshing" || Date.now() > deadline) return state;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      });
      if (view.knownHash !== view.stored.dbHash) {
        const adopted = await inWindow(driver, leaving, () => window.demo.refresh());
        assert.equal(adopted.outcome, "adopted", JSON.stringify(adopted));
      }
      const s = await stats(server);
      assert.equal(s.invalidGrant, 0, "no spent refresh token was sent");
      assert.equal(s.revoked, 0, "the grant lives");
      for (const handle of handles) assert.equal(await inWindow(driver, handle, () => window.demo.whoami()), 200);
      await driver.switchTo().window(leaving);
      await driver.close();
      await driver.switchTo().window(other);
      await server.close();
      server = undefined;
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
