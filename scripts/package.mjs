// Writes pkg/package.json for npm (after `wasm-pack build --no-pack`),
// copies the README and LICENSE into pkg/, and takes the doc comments out of
// the JS glue (they are in the .d.ts, where editors read them).
import { copyFile, readFile, writeFile } from "node:fs/promises";

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
const glue = "pkg/cross_tab_refresh.js";
const code = await readFile(glue, "utf8");
// Whole-line `/** ... */` blocks only: wasm-bindgen writes its doc comments
// so, and nothing else in the glue starts a line with `/**`.
const stripped = code.replace(/^[ \t]*\/\*\*[\s\S]*?\*\/[ \t]*\n/gm, "");
if (!stripped.includes("export class CrossTabRefreshManager")) {
  throw new Error(`${glue}: stripping doc comments left no CrossTabRefreshManager`);
}
await writeFile(glue, stripped);
await writeFile("pkg/package.json", `${JSON.stringify(manifest, null, 2)}\n`);
await copyFile("README.md", "pkg/README.md");
await copyFile("LICENSE", "pkg/LICENSE");
console.log(`pkg/package.json: ${manifest.name}@${manifest.version}`);
