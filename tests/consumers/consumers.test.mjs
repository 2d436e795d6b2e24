// The packed npm tarball, installed as a user installs it, works without
// configuration in a Vite app, a page without a bundler and a module worker,
// and its types compile under `tsc --strict`.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { launchBrowser } from "../../scripts/tabs.mjs";

const HERE = resolve(fileURLToPath(new URL(".", import.meta.url)));
const PROJECT = resolve(HERE, "../..");
const OUT = join(PROJECT, "target", "consumers");
const BIN = join(PROJECT, "node_modules", ".bin");
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };

let server;
let url;
let browser;

function run(command, args, cwd = PROJECT) {
  return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Serves `roots` in order (first match wins) on 127.0.0.1. */
function serve(roots) {
  return new Promise((done) => {
    const s = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
      for (const root of roots) {
        const file = normalize(join(root, path === "/" ? "index.html" : path));
        if (!file.startsWith(root + sep)) continue;
        try {
          if (!statSync(file).isFile()) continue;
        } catch {
          continue;
        }
        res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
        res.end(readFileSync(file));
        return;
      }
      res.writeHead(404).end();
    });
    s.listen(0, "127.0.0.1", () => done(s));
  });
}

before(async () => {
  mkdirSync(OUT, { recursive: true });
  // Pack as npm publishes, then install the tarball as a user does.
  const tarball = JSON.parse(run("npm", ["pack", "./pkg", "--json", "--pack-destination", OUT]))[0].filename;
  run("npm", ["install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund", join(OUT, tarball)], HERE);
  run(join(BIN, "vite"), ["build", "--logLevel", "warn", "--emptyOutDir", "--outDir", join(OUT, "vite"), join(HERE, "vite")]);
  server = await serve([join(OUT, "vite"), HERE]);
  url = `http://127.0.0.1:${server.address().port}`;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.close();
});

async function resultOf(path) {
  const page = await browser.newPage();
  try {
    await page.goto(url + path);
    await page.waitForFunction(() => window.result !== undefined, null, { timeout: 20_000 });
    return await page.evaluate(() => window.result);
  } finally {
    await page.close();
  }
}

function assertLockedSave(result, where) {
  assert.equal(result.error, undefined, result.error);
  assert.equal(result.where, where);
  assert.equal(result.lockKind, "web-locks");
  assert.equal(result.saved, true, "the save landed in IndexedDB");
  assert.equal(result.generation, 1);
  // The shipped build's SHA-256 (sha2's compact backend) against Node's, for
  // the tokens check.js saves: the access token, then the refresh token.
  assert.equal(result.hash, `0x${createHash("sha256").update("secret-a1secret-r1").digest("hex")}`);
  assert.equal(result.namedError, "InvalidArgumentError");
}

test("a Vite app (vite build, no plugin, no configuration), the .wasm fetched alongside the import", async () => {
  const result = await resultOf("/");
  assertLockedSave(result, "vite");
  const { wasmAt, moduleAt } = result.requested;
  assert.ok(wasmAt <= moduleAt, `the .wasm was requested at ${wasmAt} ms, after the module (${moduleAt} ms)`);
});

test("the package ships one JS module, which imports nothing: the page fetches it and the .wasm", () => {
  const installed = join(HERE, "node_modules", "cross-tab-refresh");
  const shipped = readdirSync(installed).sort();
  assert.deepEqual(shipped, [
    "LICENSE",
    "README.md",
    "cross_tab_refresh.d.ts",
    "cross_tab_refresh.js",
    "cross_tab_refresh_bg.wasm",
    "cross_tab_refresh_bg.wasm.d.ts",
    "package.json",
  ]);
  const glue = readFileSync(join(installed, "cross_tab_refresh.js"), "utf8");
  // No static import or re-export (`... from "x"`), no dynamic import.
  assert.doesNotMatch(glue, /\b(?:import|export)\b[^;]*?\bfrom\s*["']|\bimport\s*\(/, "the glue imports another module");
});

test("a plain <script type=module> page without a bundler", async () => {
  assertLockedSave(await resultOf("/plain/index.html"), "plain");
});

test("init() resolves with the exports its types declare (InitOutput)", async () => {
  const { initOutput } = await resultOf("/plain/index.html");
  const types = readFileSync(join(HERE, "node_modules", "cross-tab-refresh", "cross_tab_refresh.d.ts"), "utf8");
  const block = types.match(/^export interface InitOutput \{\n[^}]*\n\}/m)?.[0] ?? "";
  const declared = [...block.matchAll(/^\s*readonly ([\w$]+):/gm)].map((m) => m[1]);
  assert.ok(declared.length > 10, `InitOutput declares ${declared.length} exports`);
  assert.deepEqual(declared.filter((name) => !initOutput.includes(name)), [], "declared, not exported");
});

test("a module Worker", async () => {
  const result = await resultOf("/worker/index.html");
  assertLockedSave(result, "worker");
  assert.equal(result.scope, "DedicatedWorkerGlobalScope");
});

test("the packed types compile under tsc --strict, and misuse does not", () => {
  run(join(BIN, "tsc"), ["-p", join(HERE, "tsconfig.json")]);
});
