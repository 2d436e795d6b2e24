// Writes pkg/package.json for npm (after `wasm-pack build --no-pack`),
// copies the README and LICENSE into pkg/, and ships the JS without its
// comments and indentation (the doc comments are in the .d.ts, where editors
// read them; the commented source is in the repository).
import { execFileSync } from "node:child_process";
import { copyFile, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { minifyWasm, renameInGlue, renameInWasmTypes } from "./minify.mjs";

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
// Whole-line comments (`//` lines and `/** ... */` blocks, as wasm-bindgen
// and browser.js write them), blank lines and indentation. Nothing else is
// touched, so the code is the same statement for statement; a file with a
// string or template literal that spans lines (whose lines this would
// change) is refused, and each result must still parse.
export function slim(code, path) {
  code.split("\n").forEach((line, index) => {
    if ((line.match(/`/g)?.length ?? 0) % 2 !== 0 || line.endsWith("\\")) {
      throw new Error(`${path}:${index + 1}: a literal spans lines; cannot slim it safely`);
    }
  });
  return code
    .replace(/^[ \t]*\/\*\*[\s\S]*?\*\/[ \t]*\n/gm, "")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("//"))
    .join("\n")
    .concat("\n");
}

async function slimFile(path, mustInclude) {
  const code = slim(await readFile(path, "utf8"), path);
  if (!code.includes(mustInclude)) throw new Error(`${path}: slimming left no ${mustInclude}`);
  await writeFile(path, code);
  execFileSync(process.execPath, ["--check", path], { stdio: "inherit" });
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
// package.json first: `node --check` reads the files as ES modules by it.
await writeFile("pkg/package.json", `${JSON.stringify(manifest, null, 2)}\n`);
await slimFile(glue, "export class CrossTabRefreshManager");
for (const snippet of await jsFiles("pkg/snippets")) await slimFile(snippet, "export function");
await copyFile("README.md", "pkg/README.md");
await copyFile("LICENSE", "pkg/LICENSE");
console.log(`pkg/package.json: ${manifest.name}@${manifest.version}`);
