// End-to-end against a real authorization server: oidc-provider (from npm)
// with refresh-token rotation and its reuse detection as it ships (a spent
// refresh token revokes the whole grant). The first tab logs in with the
// authorization code flow and PKCE through the provider's login and consent
// pages; every tab then refreshes through the library.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "../../www/server.mjs";
import { assertRaced, launchBrowser, login, openTabs, race, resetStats, setLatency, states, stats } from "../../scripts/tabs.mjs";

let server;
let browser;

before(async () => {
  server = await startServer({ latencyMs: 20, oidc: true });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function session(n) {
  const context = await browser.newContext();
  const pages = await openTabs(context, server.url, n);
  await login(pages);
  return { context, pages };
}

async function whoamiAll(pages) {
  return Promise.all(pages.map((page) => page.evaluate(() => window.demo.whoami())));
}

describe("against oidc-provider", () => {
  test("16 tabs × 10 rounds: one refresh_token grant per round, no invalid_grant, the grant lives, every tab's token is accepted", async () => {
    const { context, pages } = await session(16);
    assert.equal((await stats(server)).logins, 1, "one authorization-code login");
    for (let round = 1; round <= 10; round++) {
      await resetStats(server);
      const { results } = await race(pages);
      const s = await stats(server);
      assert.equal(s.refreshes, 1, `round ${round}: ${s.refreshes} refresh_token grants`);
      assert.equal(s.tokenCalls, 1, `round ${round}: ${s.tokenCalls} calls of the token endpoint`);
      assert.equal(s.invalidGrant, 0, `round ${round}: invalid_grant`);
      assert.equal(s.revoked, 0, `round ${round}: the grant was revoked`);
      assert.equal(results.filter((r) => r.outcome === "refreshed").length, 1, `round ${round}: ${JSON.stringify(results)}`);
      assert.equal(results.filter((r) => r.outcome === "adopted").length, 15, `round ${round}`);
      // Old access tokens stay valid for an hour: userinfo alone cannot
      // tell a tab left on them.
      assert.ok(results.every((r) => r.ok), `round ${round}: a tab is not on the stored tokens: ${JSON.stringify(results)}`);
      assertRaced(results, `round ${round}`);
      const statuses = await whoamiAll(pages);
      assert.ok(statuses.every((status) => status === 200), `round ${round}: userinfo said ${statuses}`);
      const hashes = new Set((await states(pages)).map((v) => v.knownHash));
      assert.equal(hashes.size, 1, `round ${round}: the tabs disagree`);
    }
    await context.close();
  });

  test("a tab that sat out rounds adopts without a grant, and the grant lives", async () => {
    const { context, pages } = await session(3);
    const [a, b, sleeper] = pages;
    for (let round = 0; round < 3; round++) {
      await resetStats(server);
      await race([a, b]);
      assert.equal((await stats(server)).refreshes, 1);
    }
    await resetStats(server);
    const result = await sleeper.evaluate(() => window.demo.refresh());
    assert.equal(result.outcome, "adopted", JSON.stringify(result));
    const s = await stats(server);
    assert.equal(s.tokenCalls, 0, "adopting makes no grant");
    assert.equal(s.revoked, 0);
    assert.equal(await sleeper.evaluate(() => window.demo.whoami()), 200);
    await context.close();
  });

  test("control: the same tabs refreshing on their own, without the library, revoke the grant", async () => {
    const { context, pages } = await session(4);
    await setLatency(server, 100);
    await resetStats(server);
    // Each tab sends its refresh token straight to the token endpoint, as
    // an app without coordination does when the access token expires.
    const at = Date.now() + 300;
    const outcomes = await Promise.all(
      pages.map((page) =>
        page.evaluate(async (t) => {
          await new Promise((r) => setTimeout(r, t - Date.now()));
          const { accessToken, refreshToken } = JSON.parse(localStorage.getItem("demo.tokens"));
          const config = await (await fetch("/config.json")).json();
          const response = await fetch(config.tokenEndpoint, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: config.clientId }),
          });
          return { status: response.status, accessToken: accessToken.length > 0 };
        }, at),
      ),
    );
    await setLatency(server, 20);
    const s = await stats(server);
    assert.equal(outcomes.filter((o) => o.status === 200).length, 1, JSON.stringify(outcomes));
    assert.equal(s.invalidGrant, 3, "three tabs sent the spent token");
    assert.ok(s.revoked >= 1, "reuse detection revoked the grant");
    await context.close();
  });
});
