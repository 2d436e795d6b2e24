// The packaging step that writes the library's JS module into wasm-bindgen's
// glue (scripts/minify.mjs inlineSnippets) refuses any module whose meaning
// would change once written in: names shared or captured either way, exports
// other than functions, imports, a name the glue imports that is missing.
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
