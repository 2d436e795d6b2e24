// The OAuth clients apps use, against oidc-provider: oauth4webapi (a small
// standards client) and oidc-client-ts (UserManager with refresh tokens).
// Each recipe in examples/ is built with Vite from the packed tarball and
// the clients in this project's node_modules (installed by `make setup`,
// nothing downloaded here). Each test has its control: the same tabs
// without the library, where the provider's reuse detection revokes the grant.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "../../www/server.mjs";
import { launchBrowser, login, openTabs, resetStats, setLatency, signInAtProvider, stats } from "../../scripts/tabs.mjs";

const PROJECT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const OUT = join(PROJECT, "target", "e2e-clients");
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const EXAMPLES = { "/o4w/": "oauth4webapi", "/ocs/": "oidc-client-ts" };

let server;
let browser;

before(async () => {
  mkdirSync(OUT, { recursive: true });
  const tarball = JSON.parse(run("npm", ["pack", "./pkg", "--json", "--pack-destination", OUT], PROJECT))[0].filename;
  const mounts = {};
  for (const [base, name] of Object.entries(EXAMPLES)) {
    const dir = join(PROJECT, "examples", name);
    // A local tarball: nothing is fetched. The clients resolve from the project's node_modules.
    run("npm", ["install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--offline", join(OUT, tarball)], dir);
    const dist = join(OUT, name);
    run(join(PROJECT, "node_modules", ".bin", "vite"), ["build", "--logLevel", "warn", "--emptyOutDir", "--base", base, "--outDir", dist, dir], PROJECT);
    mounts[base] = dist;
  }
  server = await startServer({ latencyMs: 50, oidc: true, mounts });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function appTabs(context, path, n) {
  const pages = [];
  for (let i = 0; i < n; i++) {
    const page = await context.newPage();
    await page.goto(`${server.url}${path}`);
    await page.waitForFunction(() => window.ready !== undefined, null, { timeout: 30_000 });
    assert.equal(await page.evaluate(() => window.ready), true);
    pages.push(page);
  }
  return pages;
}

/** Every tab refreshes at the same instant; resolves with their results. */
async function raceApps(pages) {
  const at = Date.now() + 300;
  return Promise.all(
    pages.map((page) => page.evaluate((t) => new Promise((r) => setTimeout(() => r(window.app.refresh()), Math.max(0, t - Date.now()))), at)),
  );
}

async function assertOneGrantPerRound(pages, rounds) {
  for (let round = 1; round <= rounds; round++) {
    await resetStats(server);
    const results = await raceApps(pages);
    assert.ok(results.every((r) => r.ok), `round ${round}: ${JSON.stringify(results)}`);
    const s = await stats(server);
    assert.equal(s.refreshes, 1, `round ${round}: ${s.refreshes} refresh_token grants`);
    assert.equal(s.invalidGrant, 0, `round ${round}: invalid_grant`);
    assert.equal(s.revoked, 0, `round ${round}: the grant was revoked`);
    const statuses = await Promise.all(pages.map((p) => p.evaluate(() => window.app.userinfo())));
    assert.ok(statuses.every((status) => status === 200), `round ${round}: userinfo said ${statuses}`);
  }
}

async function assertUncoordinatedRevokes(pages) {
  await setLatency(server, 150);
  await resetStats(server);
  await raceApps(pages);
  await setLatency(server, 50);
  const s = await stats(server);
  assert.ok(s.invalidGrant >= 1, `without the library: ${JSON.stringify(s)}`);
  assert.ok(s.revoked >= 1, "reuse detection revoked the grant");
  const statuses = await Promise.all(pages.map((p) => p.evaluate(() => window.app.userinfo())));
  assert.ok(statuses.every((status) => status === 401), `after the revocation userinfo said ${statuses}`);
}

describe("OAuth clients against oidc-provider", () => {
  /** A context logged in through the demo page (tokens in localStorage, as oauth4webapi's example reads them). */
  async function loggedIn() {
    const context = await browser.newContext();
    await login(await openTabs(context, server.url, 1));
    return context;
  }

  test("oauth4webapi: 4 tabs × 3 rounds, one refresh grant per round", async () => {
    const context = await loggedIn();
    await assertOneGrantPerRound(await appTabs(context, "/o4w/", 4), 3);
    await context.close();
  });

  test("oauth4webapi without the library: the same race revokes the grant", async () => {
    const context = await loggedIn();
    await assertUncoordinatedRevokes(await appTabs(context, "/o4w/?uncoordinated", 4));
    await context.close();
  });

  /** A context whose first oidc-client-ts tab signed in with signinRedirect(). */
  async function signedInWithUserManager(path) {
    const context = await browser.newContext();
    const [first] = await appTabs(context, path, 1);
    await first.evaluate(() => {
      window.app.login();
    });
    await signInAtProvider(first);
    await first.waitForURL((url) => url.pathname === "/ocs/" && !url.search.includes("code="));
    await first.waitForFunction(() => window.ready === true, null, { timeout: 30_000 });
    assert.equal(await first.evaluate(() => window.app.signedIn()), true);
    return context;
  }

  test("oidc-client-ts UserManager: 4 tabs × 3 rounds of signinSilent(), one refresh grant per round", async () => {
    const context = await signedInWithUserManager("/ocs/");
    await assertOneGrantPerRound(await appTabs(context, "/ocs/", 4), 3);
    await context.close();
  });

  test("oidc-client-ts without the library: the same race revokes the grant", async () => {
    const context = await signedInWithUserManager("/ocs/");
    await assertUncoordinatedRevokes(await appTabs(context, "/ocs/?uncoordinated", 4));
    await context.close();
  });
});
