// Writes pkg/package.json for npm (after `wasm-pack build --no-pack`),
// copies the README and LICENSE into pkg/, gives the .wasm's imports and
// exports short names (scripts/minify.mjs) and minifies the JS.
import { copyFile, readdir, readFile, rm, writeFile } from "node:fs/promises";
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
    // The library's small JS modules, joined in one (Web Locks requests, timers, IndexedDB).
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

// The library's JavaScript modules (src/web/js/), one file in the package,
// so that loading the library costs one request more than its glue, not one
// per module. Joined in one scope, the modules drop their imports of each
// other; their top-level names must be distinct (checked here: a function
// declared twice would be joined silently, the last one winning), and none
// may import or re-export from elsewhere. The glue imports everything from
// the joined file.
const glue = "pkg/cross_tab_refresh.js";
async function joinModules() {
  const [crate, ...others] = await readdir("pkg/snippets");
  if (!crate || others.length) throw new Error("pkg/snippets: expected the one directory of this crate");
  const root = join("pkg/snippets", crate);
  const modules = (await jsFiles(root)).sort();
  const local = /^import \{[^}]*\} from "\.\/[\w-]+\.js";\n/gm;
  let joined = "";
  const declared = new Map();
  for (const path of modules) {
    const code = (await readFile(path, "utf8")).replace(local, "");
    const top = /^(?:export )?(?:async )?(?:function\*?|const|let|var|class) ([\w$]+)/gm;
    for (const [, name] of code.matchAll(top)) {
      if (declared.has(name)) throw new Error(`${path}: ${name} is declared in ${declared.get(name)} too`);
      declared.set(name, path);
    }
    joined += code;
  }
  if (/^(?:import |export (?:\*|\{))/m.test(joined)) {
    throw new Error(`${root}: a module imports or re-exports from outside src/web/js`);
  }
  await rm(join(root, "src"), { recursive: true });
  const file = "cross-tab-refresh.js";
  await writeFile(join(root, file), joined);
  let code = await readFile(glue, "utf8");
  for (const path of modules) {
    const from = `./${path.slice("pkg/".length)}`;
    if (!code.includes(`'${from}'`)) throw new Error(`${glue}: no import from ${from}`);
    code = code.replaceAll(`'${from}'`, `'./snippets/${crate}/${file}'`);
  }
  await writeFile(glue, code);
}
await joinModules();

// Short import and export names in the .wasm, and the same in the glue.
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
