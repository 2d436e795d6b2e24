// BENCHMARKS.md from the results of bench/run.mjs: the table, the verdicts
// against the goals, how each number was measured, and where the bytes go.
import { readFile, writeFile } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { gzipSync } from "node:zlib";
import { BUDGET_BYTES, packageSizes } from "../scripts/size.mjs";

const fmt = (x, digits = 3) => Number(x.toPrecision(digits)).toString();

/** Writes BENCHMARKS.md and returns its text. */
export async function writeReport({ results, floor, tables, settings }) {
  const { groupText, crateRows, ownBytes, dataBytes, restBytes } = tables;
  const { BLOCKS, WARMUP_BLOCKS, CYCLES, CONTENTION_OPS, OPEN_SAMPLES, RACE_TABS, RACE_ROUNDS, STARTUP_GOAL_MS } = settings;
  const kib = (bytes) => (bytes / 1024).toFixed(1);
  const gz = async (path) => gzipSync(await readFile(path), { level: 9 }).length;
  const sizes = { ...packageSizes(), plain: await gz("bench/plain.js") };
  // Bytes of the .wasm before gzip, in KiB after it at the .wasm's overall ratio.
  const gzKiB = (bytes) => ((bytes * sizes.wasm) / sizes.wasmRaw / 1024).toFixed(1);

  const chromium = (() => {
    try {
      return execFileSync("/usr/bin/chromium", ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      return "Chromium (version unknown)";
    }
  })();
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const date = new Date().toISOString().slice(0, 10);
  const rows = [];
  const verdicts = [];
  for (const [name, r] of Object.entries(results)) {
    if (name === "raceCalls") continue;
    const ratio = r.lib / r.plain; // library ÷ plain JS, whichever way is better
    rows.push(`| ${name} | ${fmt(r.lib)} ${r.unit} | ${fmt(r.plain)} ${r.unit} | ${fmt(ratio)}× |`);
  }
  const target = (name, limit, higher) => {
    const r = Object.entries(results).find(([n]) => n.startsWith(name))?.[1];
    if (!r) return;
    const ratio = r.lib / r.plain;
    const ok = higher ? ratio >= limit : ratio <= limit;
    const spread = r.interval ? `, 95 % interval ${r.interval.map((x) => x.toFixed(3)).join("–")}` : "";
    verdicts.push(`- ${name}: ${ratio.toFixed(3)}× plain JS${spread} (target ${higher ? "≥" : "≤"} ${limit}×): **${ok ? "met" : "missed"}**`);
  };
  target("read-only cycle", 1.1, false);
  target("write cycle", 1.1, false);
  for (const t of [2, 4, 8]) target(`contention, ${t} tabs`, 0.9, true);
  for (const [name, r] of Object.entries(results).filter(([n]) => n.startsWith("import → open"))) {
    verdicts.push(`- ${name.replace("import → open manager", "start-up")}: ${fmt(r.lib)} ms (target ≤ ${STARTUP_GOAL_MS} ms): **${r.lib <= STARTUP_GOAL_MS ? "met" : "missed"}**`);
  }
  const rc = results.raceCalls;
  verdicts.push(`- token calls per race: library at most ${rc.lib.calls}, plain JS at most ${rc.plain.calls} (target exactly 1); invalid_grant: ${rc.lib.invalid} and ${rc.plain.invalid}: **${rc.lib.calls === 1 && rc.lib.invalid === 0 ? "met" : "missed"}**`);
  const sizeTotal = sizes.total;
  verdicts.push(`- size: ${(sizeTotal / 1024).toFixed(1)} KiB gzipped (.wasm ${(sizes.wasm / 1024).toFixed(1)} + JS ${(sizes.glue / 1024).toFixed(1)}; target ≤ 40 KB): **${sizeTotal <= 40_000 ? "met" : "missed"}**`);

  const report = `# Benchmarks

Measured by \`make bench\` on ${date}: ${chromium}, headless, on ${cpu} (${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB).
The library (release build) runs side by side with a plain-JS implementation of the
same work in the same page (\`bench/plain.js\`: Web Locks + raw IndexedDB +
\`crypto.subtle\`, with the same fenced write and the same BroadcastChannel
message after it). Implementations alternate within
the run, so a noisy machine affects both alike. Medians.

| measurement | library | plain JS | library ÷ plain |
|---|---|---|---|
${rows.join("\n")}
| size, gzipped | ${(sizes.wasm / 1024).toFixed(1)} KiB .wasm + ${(sizes.glue / 1024).toFixed(1)} KiB JS | ${(sizes.plain / 1024).toFixed(1)} KiB JS | |

Targets:
${verdicts.join("\n")}

Each uncontended cycle is ${BLOCKS} blocks of ${CYCLES} iterations of each
implementation in turn, in one call of the page, the order swapped every block (after ${WARMUP_BLOCKS}
untimed blocks of each, so that neither is measured while the engine compiles it); the 95 %
interval of their ratio comes from resampling the pairs of blocks (the verdict is on the ratio
itself, not on the interval); contention is
${CONTENTION_OPS} increments per tab of a counter read and written under the lock
(each with a fenced save), throughput in operations per second (higher is better);
start-up is the median of ${OPEN_SAMPLES} fresh imports of each kind, from the
import to an open manager (the library's .wasm is revalidated by the server's
ETag, as a static server does; the glue and plain.js are fetched anew); the
race is ${RACE_TABS} tabs × ${RACE_ROUNDS} rounds against the mock token endpoint
(20 ms latency); recovery is the time from closing the tab that holds the lock to
another tab holding it.

## Where the bytes go

The .wasm is ${(sizes.wasmRaw / 1024).toFixed(1)} KiB before gzip. By crate (twiggy on the same
release build with its names kept, after wasm-opt with the same flags; KiB before gzip;
\`make size\` prints it). \`make test\` fails when the gzipped
package grows past ${(BUDGET_BYTES / 1024).toFixed(1)} KiB (\`scripts/size.mjs\`), just above the size it has now.
The release build rebuilds Rust's standard library for size, and a panic traps
at once, with no message, location or formatting linked in (the Makefile's
\`RELEASE_RUSTFLAGS\`): 5.5 KiB gzipped less than with the prebuilt standard
library (56,511 to 50,908 bytes, 2026-12-06); the two builds, side by side in
one page, ran the read-only lock cycle in the same time (1.00×; with a save
0.99×). Messages are joined from their parts, not formatted, so no
\`core::fmt\` is linked in.

${sizes.total <= 40_000 ? `The 40 KB goal is met: ${sizes.total.toLocaleString("en")} bytes gzipped, ${(40_000 - sizes.total).toLocaleString("en")} under it.` : "The 40 KB goal is not met, and this table is what stands between."} In groups,
before gzip: ${groupText}. At the .wasm's overall ratio
(${((100 * sizes.wasm) / sizes.wasmRaw).toFixed(0)} %), this library's own code is about ${gzKiB(ownBytes)} KiB gzipped, its data
(mostly its messages) about ${gzKiB(dataBytes)}, and the rest (Rust's runtime, wasm-bindgen and
the named crates, which also hold the bodies of the library's boxed closures) about
${gzKiB(restBytes)}; the JS (wasm-bindgen's glue with the library's JS modules written into it) adds ${(sizes.glue / 1024).toFixed(1)} KiB. The library's own code is
the contract's behaviour: each async method one state machine with the core's
steps inlined into it (no layer of \`async\` that only passes a future on: a
caller awaits the inner future and hands its outcome to a plain function),
each bad input its own message; no feature or message was dropped to shrink
it.${sizes.total <= 40_000 ? "" : ` Reaching 40 KB would take about
${((sizes.total - 40_000) / 1024).toFixed(1)} KiB gzipped off the library's own code and data.`}

The floor, measured: \`bench/floor\` is this API (both classes, every method
and getter, the same signatures) with none of its behaviour, each method doing
the least its contract asks of the named crates (\`open()\` opens the database
with the factory indexed_db_futures finds, the request in a line of
JavaScript, as the library's is; tokens are hashed with sha2, a write serializes the
record with serde-wasm-bindgen, errors are thiserror errors made JS Errors, each
async method awaits one promise, with wasm-bindgen-futures' executor where
the library has its own smaller one), built and packaged as the library is. It
weighs ${kib(floor.total)} KiB gzipped (.wasm ${kib(floor.wasm)} + JS ${kib(floor.glue)}): what a
wasm-bindgen package of this API and these crates costs before it does anything.
The library's behaviour (both locks, the in-context turns, fencing, single
flight, adoption, logout, close(), every check and its message, broadcast,
diagnostics) is the other ${kib(sizes.total - floor.total)} KiB${sizes.total <= 40_000 ? "." : `. Within 40 KB, that behaviour
would have to fit in ${kib(40_000 - floor.total)} KiB gzipped, ${(
  (100 * (40_000 - floor.total)) / (sizes.total - floor.total)
).toFixed(0)} % of what it weighs now.`}

| crate | KiB | what it is for |
|---|---|---|
${crateRows}

serde-wasm-bindgen writes the records (each record's \`Serialize\` a map of its
fields, four in the session record and three in the lease's, written as a plain object, \`None\` as \`null\`, the hash as a
\`Uint8Array\`). They are not derived structs: serde-wasm-bindgen turns a struct's
field names into JS strings through a cache (a \`HashMap\` of its own), and the
same records written from derived structs made the package 1.1 KiB gzipped
larger (2026-12-05). Reading them
with it was measured and left out (2026-12-02): a serde-derived struct whose
three fields stay JavaScript values, so no error got less precise, made the
package 96.9 KiB gzipped instead of 75.9: serde's error messages
(\`invalid_type\` and \`Unexpected\`) link float formatting back in (\`f64\`
Display alone 13.6 KiB before gzip), for a record of three fields then that the
web layer reads in a dozen lines. Options and tokens were not tried with it
for the same reason.
`;
    await writeFile("BENCHMARKS.md", report);
    return report;
}
