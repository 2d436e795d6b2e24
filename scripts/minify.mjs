// Short names for what the .wasm imports and exports. wasm-bindgen names
// every import `__wbg_<name>_<16 hex digits>` from "./cross_tab_refresh_bg.js",
// and the snippets' functions by their module path: about 7 KiB of names in
// the .wasm and again in the glue. binaryen renames them all (one module "a",
// names "a", "b", ...) and prints the mapping, from which the glue's import
// object, its `wasm.<export>` calls and the .wasm's .d.ts are renamed to
// match. Nothing else changes (but the producers and target-features
// sections, dropped); every name is checked to have been renamed.
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { minify } from "terser";

const GLUE_MODULE = "./cross_tab_refresh_bg.js";
// binaryen from npm (Debian's is too old for this output: TOOLCHAIN trap).
const bin = (name) => join("node_modules", ".bin", name);

// wasm-opt's flags from Cargo.toml (its passes, and the features the .wasm uses).
export function wasmOptFlags() {
  const cargo = readFileSync("Cargo.toml", "utf8");
  const flags = cargo.match(/^wasm-opt = (\[.*\])$/m)?.[1];
  if (!flags) throw new Error("Cargo.toml has no wasm-opt = [...] line");
  return JSON.parse(flags.replace(/,\s*\]/, "]"));
}

// Renames the imports and exports of the .wasm at `path` in place; returns
// binaryen's mapping: { imports: [[module, name, short]], exports: [[name, short]] }.
export function minifyWasm(path, extra = []) {
  const features = wasmOptFlags().filter((flag) => flag.startsWith("--enable-"));
  const out = execFileSync(
    bin("wasm-opt"),
    [
      ...features,
      ...extra,
      "--minify-imports-and-exports-and-modules",
      // The last pass: nothing reads the tool names or the feature list
      // after it (wasm-opt itself needed the list to keep the features).
      "--strip-producers",
      "--strip-target-features",
      path,
      "-o",
      path,
    ],
    { encoding: "utf8", maxBuffer: 1 << 24 },
  );
  const map = JSON.parse(out);
  // Short names are property names in the glue but declarations in the
  // .d.ts, where a reserved word would not compile.
  const reserved = new Set(["do", "if", "in", "for", "let", "new", "try", "var"]);
  for (const [, , short] of map.imports) check(short);
  for (const [, short] of map.exports) check(short);
  function check(short) {
    if (!/^[A-Za-z_$][\w$]*$/.test(short) || reserved.has(short)) {
      throw new Error(`${path}: binaryen's short name ${short} is not a plain identifier`);
    }
  }
  const text = execFileSync(bin("wasm-dis"), [path], { encoding: "utf8", maxBuffer: 1 << 28 });
  const modules = new Set(Array.from(text.matchAll(/^ \(import "([^"]*)"/gm), (m) => m[1]));
  if (modules.size !== 1 || !modules.has("a")) {
    throw new Error(`${path}: expected every import from module "a", found ${[...modules]}`);
  }
  return map;
}

function replaceOnce(text, pattern, replacement, what) {
  let count = 0;
  const result = text.replace(pattern, (...args) => {
    count += 1;
    return typeof replacement === "function" ? replacement(...args) : replacement;
  });
  if (count === 0) throw new Error(`the glue has no ${what}`);
  return result;
}

const escape = (name) => name.replace(/[$]/g, "\\$");

// The glue with the short names of `map`.
export function renameInGlue(glue, map) {
  let code = glue;
  // The return of __wbg_get_imports: { "<module>": importN, ... }.
  const returned = code.match(/return \{\s*__proto__: null,((?:\s*"[^"]+": import\d+,)+)\s*\};/);
  if (!returned) throw new Error("the glue's import object has no return of its modules");
  const variableOf = new Map(
    [...returned[1].matchAll(/"([^"]+)": (import\d+)/g)].map((m) => [m[1], m[2]]),
  );
  const glueVariable = variableOf.get(GLUE_MODULE);
  const fromModules = [];
  for (const [module, name, short] of map.imports) {
    if (module === GLUE_MODULE) {
      // A key of the glue's own import object: `<name>: function(...)`.
      code = replaceOnce(
        code,
        new RegExp(`^(\\s*)${escape(name)}:`, "m"),
        (_, indent) => `${indent}${short}:`,
        `import ${name}`,
      );
    } else {
      const variable = variableOf.get(module);
      if (!variable) throw new Error(`the glue imports nothing from ${module}`);
      fromModules.push(`${JSON.stringify(short)}: ${variable}.${name}`);
    }
  }
  code = code.replace(
    returned[0],
    `return { __proto__: null, a: Object.assign(${glueVariable}, { ${fromModules.join(", ")} }) };`,
  );
  // wasm-bindgen exports a few globals the glue never reads (its abort
  // handler), and names JS functions after some exports: an export is read
  // as `wasm.<name>` only, never by a string.
  for (const [name, short] of map.exports) {
    code = code.replace(new RegExp(`\\bwasm\\.${escape(name)}\\b`, "g"), `wasm.${short}`);
    if (code.includes(`"${name}"`) || code.includes(`'${name}'`)) {
      throw new Error(`the glue reads export ${name} by a string`);
    }
  }
  return code;
}

// The .wasm's own .d.ts (`export const <name>: ...` for each export).
export function renameInWasmTypes(types, map) {
  let code = types;
  for (const [name, short] of map.exports) {
    code = code.replace(new RegExp(`^export const ${escape(name)}:`, "m"), `export const ${short}:`);
    if (code.includes(name)) throw new Error(`the .wasm's types still name ${name}`);
  }
  return code;
}

// The glue's .d.ts: `InitOutput`, what `init()` and `initSync()` resolve
// with (the instance's exports), declared under the same short names.
export function renameInInitOutput(types, map) {
  const block = types.match(/^export interface InitOutput \{\n[^}]*\n\}/m)?.[0];
  if (!block) throw new Error("the glue's types declare no InitOutput");
  let renamed = block;
  for (const [name, short] of map.exports) {
    renamed = renamed.replace(new RegExp(`^(\\s*readonly )${escape(name)}:`, "m"), `$1${short}:`);
  }
  const left = [...renamed.matchAll(/^\s*readonly ([\w$]+):/gm)].map((m) => m[1]);
  const shorts = new Set(map.exports.map(([, short]) => short));
  const stale = left.filter((name) => !shorts.has(name));
  if (stale.length) throw new Error(`InitOutput still names ${stale.join(", ")}`);
  return types.replace(block, renamed);
}

// The top-level names a module declares (functions, classes, variables).
function topLevelNames(code) {
  const declared = /^(?:export\s+)?(?:async\s+)?(?:function\*?|class|const|let|var)\s+([A-Za-z_$][\w$]*)/gm;
  return new Set(Array.from(code.matchAll(declared), (m) => m[1]));
}

// `code` without its comments (for looking at the names it uses).
const uncommented = (code) => code.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:\\])\/\/.*$/gm, "$1");

// Whether `code` uses `name` as an identifier (not as a property name).
const usesName = (code, name) =>
  new RegExp(`(?<![.\\w$])${name.replace(/[$]/g, "\\$")}(?![\\w$])`).test(code);

// The glue with each JS module it imports from ./snippets/ written into it
// (their `export` keywords dropped), one after another: one file to fetch
// and gzip instead of one per module. (Each in a function scope of its own
// would be simpler to trust, and 235 bytes gzipped larger: terser keeps the
// scope.) `read(path)` gives a snippet's source by its path in the import.
// So that the module means what the modules meant apart, a snippet may
// import nothing and export only functions; each name the glue imports
// must be one of them; and no name a snippet declares may be one that the
// glue (with the snippets written into it before) declares or uses, nor the
// other way round, but for the names the glue imports.
export function inlineSnippets(glue, read) {
  // `import { a, b } from "<snippet>"` (the functions the glue wraps), and
  // `import * as importN from "<snippet>"` (those the .wasm imports as they
  // are, read as `importN.<name>`).
  const named = /^import \{([^}]*)\} from (["'])(\.\/snippets\/[^"']+)\2;?\n/gm;
  const whole = /^import \* as ([\w$]+) from (["'])(\.\/snippets\/[^"']+)\2;?\n/gm;
  const byName = Array.from(glue.matchAll(named));
  const asWhole = Array.from(glue.matchAll(whole));
  if (byName.length === 0) throw new Error("the glue imports no snippet");
  let code = glue;
  for (const [statement, list, , path] of byName) {
    const snippet = read(path);
    if (/^\s*import\b|\bimport\s*\(|import\.meta/m.test(snippet)) {
      throw new Error(`${path} imports a module`);
    }
    const stray = snippet.match(/^export\b(?!\s+(?:async\s+)?function\s+[\w$]+\s*\()/m);
    if (stray) throw new Error(`${path} exports other than a function: ${stray[0]}`);
    const exported = new Set(
      Array.from(snippet.matchAll(/^export\s+(?:async\s+)?function\s+([\w$]+)/gm), (m) => m[1]),
    );
    const imported = new Set(list.split(",").map((n) => n.trim()).filter(Boolean));
    const namespaces = asWhole.filter(([, , , from]) => from === path);
    for (const name of imported) {
      if (!exported.has(name)) throw new Error(`${path} exports no function ${name}`);
    }
    // The glue without this import and its comments, and the snippet's code.
    const rest = uncommented(code.replace(statement, ""));
    const own = uncommented(snippet);
    const glueNames = topLevelNames(rest);
    const snippetNames = topLevelNames(snippet);
    const clash = [...snippetNames].filter((name) => glueNames.has(name));
    if (clash.length) throw new Error(`${path} and the glue both declare ${clash.join(", ")}`);
    const capturedBySnippet = [...glueNames].filter((name) => usesName(own, name));
    if (capturedBySnippet.length) {
      throw new Error(`${path} uses names the glue declares: ${capturedBySnippet.join(", ")}`);
    }
    const capturedByGlue = [...snippetNames].filter((name) => !imported.has(name) && usesName(rest, name));
    if (capturedByGlue.length) {
      throw new Error(`the glue uses names ${path} declares: ${capturedByGlue.join(", ")}`);
    }
    const body = snippet.replace(/^export\s+(?=(?:async\s+)?function\s)/gm, "");
    code = code.replace(statement, () => `// ${path.replace(/^\.\/snippets\/[^/]+\//, "")}\n${body}\n`);
    for (const [statement, variable] of namespaces) {
      const escaped = variable.replace(/[$]/g, "\\$");
      const members = new Set(Array.from(code.matchAll(new RegExp(`\\b${escaped}\\.([\\w$]+)`, "g")), (m) => m[1]));
      for (const name of members) {
        if (!exported.has(name)) throw new Error(`${path} exports no function ${name}`);
      }
      code = code.replace(statement, () => `const ${variable} = { ${[...members].join(", ")} };\n`);
    }
  }
  if (/\.\/snippets\//.test(code)) {
    throw new Error("the glue still names ./snippets/ (a snippet it imports only as a whole?)");
  }
  return code;
}

// terser's options for the shipped JS: compressed and mangled as an ES
// module, so its exports keep their names. `unsafe_methods` writes the
// import object's `name: function (...) {...}` as methods (`name(...) {...}`),
// 59 bytes gzipped less: the .wasm calls them as plain functions, none is a
// constructor or reads `this`.
const TERSER = { module: true, ecma: 2020, compress: { ecma: 2020, unsafe_methods: true } };

// Packs the wasm-bindgen output in `dir` as it ships: short import and
// export names in the .wasm and its glue, the snippets written into the
// glue (and their directory removed), the glue minified. Returns binaryen's
// mapping of the names, for the .d.ts files.
export async function packGlue(dir) {
  const glue = join(dir, "cross_tab_refresh.js");
  const names = minifyWasm(join(dir, "cross_tab_refresh_bg.wasm"));
  const renamed = renameInGlue(readFileSync(glue, "utf8"), names);
  const joined = inlineSnippets(renamed, (path) => readFileSync(join(dir, path), "utf8"));
  const { code } = await minify(joined, TERSER);
  if (!code?.includes("CrossTabRefreshManager")) throw new Error(`${glue}: minified, it exports no CrossTabRefreshManager`);
  writeFileSync(glue, code);
  rmSync(join(dir, "snippets"), { recursive: true, force: true });
  return names;
}
