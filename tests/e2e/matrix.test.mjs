// matrix-js-sdk (a devDependency, from npm) refreshes through its own code path in
// several tabs; cross-tab-refresh makes that one token call per expiry.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "../../www/server.mjs";
import { launchBrowser } from "../../scripts/tabs.mjs";

const HERE = resolve(fileURLToPath(new URL("../../examples/matrix-js-sdk", import.meta.url)));
const PROJECT = resolve(HERE, "../..");
const OUT = join(PROJECT, "target", "e2e-matrix");
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

let server;
let browser;

before(async () => {
  mkdirSync(OUT, { recursive: true });
  const tarball = JSON.parse(run("npm", ["pack", "./pkg", "--json", "--pack-destination", OUT], PROJECT))[0].filename;
  // A local tarball, nothing fetched: matrix-js-sdk resolves from the project's
  // node_modules (a devDependency, installed by make setup).
  run("npm", ["install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--offline", join(OUT, tarball)], HERE);
  run(join(PROJECT, "node_modules", ".bin", "vite"), ["build", "--logLevel", "warn", "--emptyOutDir", "--base", "/mx/", "--outDir", join(OUT, "dist"), HERE], PROJECT);
  // Access tokens live 30 s: the SDK refreshes on M_UNKNOWN_TOKEN only when its token is near expiry.
  server = await startServer({ latencyMs: 30, accessTokenTtlS: 30, mounts: { "/mx/": join(OUT, "dist") } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test("matrix-js-sdk's own refresh makes one token call per expiry across tabs", async () => {
  const context = await browser.newContext();
  const login = await (await fetch(`${server.url}/oauth/session`, { method: "POST" })).json();
  await context.addInitScript((t) => {
    if (!localStorage.getItem("mx.tokens")) localStorage.setItem("mx.tokens", JSON.stringify(t));
  }, { accessToken: login.access_token, refreshToken: login.refresh_token });
  const tabs = [];
  for (let i = 0; i < 4; i++) {
    const page = await context.newPage();
    await page.goto(`${server.url}/mx/`);
    await page.waitForFunction(() => window.ready !== undefined, null, { timeout: 30_000 });
    assert.equal(await page.evaluate(() => window.ready), true);
    tabs.push(page);
  }
  for (const page of tabs) assert.deepEqual(await page.evaluate(() => window.mx.whoami()), { userId: "@demo:localhost" });

  for (let expiry = 1; expiry <= 3; expiry++) {
    await fetch(`${server.url}/admin/expire`, { method: "POST" });
    await fetch(`${server.url}/stats/reset`, { method: "POST" });
    const at = Date.now() + 300;
    const results = await Promise.all(tabs.map((p) => p.evaluate((t) => window.mx.at(t, "whoami"), at)));
    const stats = await (await fetch(`${server.url}/stats`)).json();
    for (const r of results) assert.deepEqual(r, { userId: "@demo:localhost" }, `expiry ${expiry}`);
    assert.equal(stats.unknownToken, tabs.length, `expiry ${expiry}: every tab hit the expired token`);
    assert.equal(stats.tokenCalls, 1, `expiry ${expiry}: ${stats.tokenCalls} token calls`);
    assert.equal(stats.invalidGrant, 0);
    // Hashes only: a failed assertion prints its values.
    const hashes = await Promise.all(tabs.map((p) => p.evaluate(async () => {
      const digest = async (text) => Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))), (b) => b.toString(16).padStart(2, "0")).join("");
      return { client: await digest(window.mx.accessToken()), stored: await digest(JSON.parse(localStorage.getItem("mx.tokens")).accessToken) };
    })));
    assert.equal(new Set(hashes.map((h) => h.client)).size, 1, "every tab's client holds the new access token");
    assert.ok(hashes.every((h) => h.client === h.stored), "and it is the stored one");
  }
  await context.close();
});
