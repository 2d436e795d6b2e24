// Writes pkg/package.json for npm (after `wasm-pack build --no-pack`),
// copies the README and LICENSE into pkg/, gives the .wasm's imports and
// exports short names (scripts/minify.mjs), writes the library's JS modules
// into the glue and minifies it.
import { copyFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { packGlue, renameInInitOutput, renameInWasmTypes } from "./minify.mjs";

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
    "README.md",
    "LICENSE",
  ],
};
for (const [key, value] of Object.entries(manifest)) {
  if (value === undefined) throw new Error(`Cargo.toml has no ${key}`);
}
// Short import and export names in the .wasm and the glue, the library's
// JS modules (src/web/browser.js, idb.js and runtime.js, which wasm-bindgen
// copies under snippets/) written into the glue, the glue minified
// (scripts/minify.mjs). No file to fetch but the glue and the .wasm; one
// module gzipped with the glue was 0.6 KiB less than apart (2026-12-06).
// The commented source is in the repository, the doc comments in the .d.ts.
const names = await packGlue("pkg");
const wasmTypes = "pkg/cross_tab_refresh_bg.wasm.d.ts";
await writeFile(wasmTypes, renameInWasmTypes(await readFile(wasmTypes, "utf8"), names));
const glueTypes = "pkg/cross_tab_refresh.d.ts";
await writeFile(glueTypes, renameInInitOutput(await readFile(glueTypes, "utf8"), names));
await writeFile("pkg/package.json", `${JSON.stringify(manifest, null, 2)}\n`);
await copyFile("README.md", "pkg/README.md");
await copyFile("LICENSE", "pkg/LICENSE");
console.log(`pkg/package.json: ${manifest.name}@${manifest.version}`);
