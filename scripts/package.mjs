// Writes pkg/package.json for npm (after `wasm-pack build --no-pack`),
// copies the README and LICENSE into pkg/, gives the .wasm's imports and
// exports short names (scripts/minify.mjs) and minifies the JS.
import { copyFile, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { minify } from "terser";

import { minifyWasm, renameInGlue, renameInInitOutput, renameInWasmTypes } from "./minify.mjs";

const cargo = await readFile("Cargo.toml", "utf8");
const field = (name) => cargo.match(new RegExp(`^${name} = "(.*)"$`, "m"))?.[1];
const keywords = JSON.parse(cargo.match(/^keywords = (\[.*\])$/m)?.[1] ?? "[]");

const manifest = {
  name: field("name"),
  version: field("version"),
  description: field("description"),
  license: field("license"),
  repository: { type: "git", url: `git+${field("repository")}.git` },
  keywords: [...keywords, "oauth2", "refresh-token", "tabs", "webassembly"],
  type: "module",
  main: "./cross_tab_refresh.js",
  types: "./cross_tab_refresh.d.ts",
  exports: {
    ".": {
      types: "./cross_tab_refresh.d.ts",
      default: "./cross_tab_refresh.js",
    },
    "./cross_tab_refresh_bg.wasm": "./cross_tab_refresh_bg.wasm",
    "./package.json": "./package.json",
  },
  sideEffects: false,
  files: [
    "cross_tab_refresh_bg.wasm",
    "cross_tab_refresh_bg.wasm.d.ts",
    "cross_tab_refresh.js",
    "cross_tab_refresh.d.ts",
    // The small JS module the library binds (Web Locks requests, timers, IndexedDB upgrades).
    "snippets/",
    "README.md",
    "LICENSE",
  ],
};
for (const [key, value] of Object.entries(manifest)) {
  if (value === undefined) throw new Error(`Cargo.toml has no ${key}`);
}
// The shipped JS minified by terser (compressed and mangled as an ES
// module, so its exports keep their names); the commented source is in the
// repository, the doc comments in the .d.ts.
async function minifyFile(path, mustInclude) {
  const { code } = await minify(await readFile(path, "utf8"), { module: true });
  if (!code?.includes(mustInclude)) throw new Error(`${path}: minified, it has no ${mustInclude}`);
  await writeFile(path, code);
}

async function jsFiles(dir) {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return jsFiles(path);
      return entry.name.endsWith(".js") ? [path] : [];
    }),
  );
  return nested.flat();
}

// Short import and export names in the .wasm, and the same in the glue.
const glue = "pkg/cross_tab_refresh.js";
const names = minifyWasm("pkg/cross_tab_refresh_bg.wasm");
await writeFile(glue, renameInGlue(await readFile(glue, "utf8"), names));
const wasmTypes = "pkg/cross_tab_refresh_bg.wasm.d.ts";
await writeFile(wasmTypes, renameInWasmTypes(await readFile(wasmTypes, "utf8"), names));
const glueTypes = "pkg/cross_tab_refresh.d.ts";
await writeFile(glueTypes, renameInInitOutput(await readFile(glueTypes, "utf8"), names));
await writeFile("pkg/package.json", `${JSON.stringify(manifest, null, 2)}\n`);
await minifyFile(glue, "CrossTabRefreshManager");
for (const snippet of await jsFiles("pkg/snippets")) await minifyFile(snippet, "export");
await copyFile("README.md", "pkg/README.md");
await copyFile("LICENSE", "pkg/LICENSE");
console.log(`pkg/package.json: ${manifest.name}@${manifest.version}`);
