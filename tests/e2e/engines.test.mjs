// The multi-tab race in Firefox and WebKitGTK, in separate windows of one
// browser profile (WebDriver: geckodriver, WebKitWebDriver under Xvfb),
// against the mock token endpoint and against oidc-provider with its reuse
// detection on; the control without the library; the back/forward cache.
// The other lifecycles these drivers allow are in engines_lifecycle.test.mjs.
// Chromium runs the same in tests/e2e/tabs.test.mjs, oidc.test.mjs and
// lifecycle.test.mjs.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "../../www/server.mjs";
import { assertRaced, resetStats, stats } from "../../scripts/tabs.mjs";
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
        assert.ok(results.every((r) => r.ok), `round ${round}: a window is not on the stored tokens: ${JSON.stringify(results)}`);
        assertRaced(results, `round ${round}`);
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
          if (state.status !== "refreshing") return state;
          if (Date.now() > deadline) throw new Error("still refreshing 10 s after coming back");
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      });
      if (restored) {
        // The refresh that went on ended well: fenced, then adopted.
        assert.equal(view.status, "tokens current", JSON.stringify(view));
        assert.equal(view.counters.errors, 0, JSON.stringify(view));
        assert.ok(view.counters.adopted >= 1, JSON.stringify(view));
      }
      if (view.knownHash !== view.stored.dbHash) {
        const adopted = await inWindow(driver, leaving, () => window.demo.refresh());
        assert.equal(adopted.outcome, "adopted", JSON.stringify(adopted));
      }
      // Either way, it goes on with the tokens the app stores.
      assert.equal((await inWindow(driver, leaving, () => window.demo.state())).current, true);
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
  });
}
