// The packaging step that writes the library's JS modules into wasm-bindgen's
// glue (scripts/minify.mjs inlineSnippets) refuses any module whose meaning
// would change once written in: names shared or captured either way (with
// the glue or with a module written in before it), exports other than
// functions, imports, a name the glue imports that is missing.
import { test } from "node:test";
import assert from "node:assert/strict";

import { inlineSnippets } from "../../scripts/minify.mjs";

const GLUE = [
  'import { a } from "./snippets/x/b.js";',
  'import * as import1 from "./snippets/x/b.js";',
  "let heap = [];",
  "function use() { return a() + import1.c() + queueMicrotask; }",
  "export class C {}",
  "",
].join("\n");

const inline = (snippet) => inlineSnippets(GLUE, () => snippet);

test("a module of functions is written in, and what the .wasm imports as a whole is an object of them", () => {
  const code = inline("export function a() { return 1; }\nexport async function c() {}\nfunction helper() {}\n");
  assert.match(code, /^function a\(\) \{ return 1; \}$/m);
  assert.match(code, /^async function c\(\) \{\}$/m);
  assert.match(code, /^const import1 = \{ c \};$/m);
  assert.doesNotMatch(code, /snippets|^import |^export function/m);
});

test("a module whose meaning would change once written in is refused, each with its reason", () => {
  const refusals = {
    "export function a() {}\nexport function c() {}\nfunction heap() {}\n": /both declare heap/,
    "export function a() { return heap; }\nexport function c() {}\n": /uses names the glue declares: heap/,
    "export function a() {}\nexport function c() {}\nfunction queueMicrotask() {}\n": /the glue uses names .* declares: queueMicrotask/,
    "export function a() {}\nexport function c() {}\nexport const b = 1;\n": /exports other than a function/,
    "export function c() {}\n": /exports no function a/,
    "export function a() {}\n": /exports no function c/,
    'import x from "y";\nexport function a() {}\nexport function c() {}\n': /imports a module/,
  };
  for (const [snippet, reason] of Object.entries(refusals)) {
    assert.throws(() => inline(snippet), reason, snippet);
  }
});

// Two modules, as the library has three: each is checked against the glue
// with the modules before it already written in.
const TWO = [
  'import { a } from "./snippets/x/one.js";',
  'import { b } from "./snippets/x/two.js";',
  "function use() { return a() + b(); }",
  "",
].join("\n");

test("modules are written in one after another, and one may not share or capture a name of another", () => {
  const inlineTwo = (one, two) => inlineSnippets(TWO, (path) => (path.endsWith("one.js") ? one : two));
  const code = inlineTwo("const lone = 1;\nexport function a() { return lone; }\n", "export function b() { return 2; }\n");
  assert.match(code, /^const lone = 1;$/m);
  assert.match(code, /^function b\(\) \{ return 2; \}$/m);
  assert.doesNotMatch(code, /snippets|^import /m);
  const one = "const lone = 1;\nexport function a() { return lone; }\n";
  assert.throws(() => inlineTwo(one, "const lone = 2;\nexport function b() { return lone; }\n"), /two\.js and the glue both declare lone/);
  assert.throws(() => inlineTwo(one, "export function b() { return lone; }\n"), /two\.js uses names the glue declares: lone/);
});
