// `make bench`: the library next to the plain-JS way of doing the same work
// (bench/plain.js), in one headless Chromium run, implementations alternating
// so that a noisy machine affects both alike. Writes BENCHMARKS.md.
import { readFile, writeFile } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { gzipSync } from "node:zlib";
import { startServer } from "../www/server.mjs";
import { launchBrowser } from "../scripts/tabs.mjs";
import { BUDGET_BYTES, crateSizes, floorSizes, packageSizes } from "../scripts/size.mjs";
import { sizeTables } from "./sizes.mjs";

const BLOCKS = 60;
const CYCLES = 20;
const CONTENTION_OPS = 40;
const CONTENTION_ROUNDS = 4;
const RACE_TABS = 16;
const RACE_ROUNDS = 5;
const OPEN_SAMPLES = 11;
const STARTUP_GOAL_MS = 15;
const IMPLS = ["lib", "plain"];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
// A 95 % interval of the ratio median(lib) ÷ median(plain), where lib[i]
// and plain[i] are blocks run side by side: the pairs are resampled with
// replacement (a fixed seed, so a rerun on the same samples says the same).
const ratioInterval = (lib, plain, rounds = 2000) => {
  let seed = 0x2545f491;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const ratios = [];
  for (let r = 0; r < rounds; r++) {
    const picks = lib.map(() => Math.floor(random() * lib.length));
    ratios.push(median(picks.map((i) => lib[i])) / median(picks.map((i) => plain[i])));
  }
  ratios.sort((a, b) => a - b);
  return [ratios[Math.floor(rounds * 0.025)], ratios[Math.ceil(rounds * 0.975) - 1]];
};
const fmt = (x, digits = 3) => Number(x.toPrecision(digits)).toString();
const log = (...args) => console.log("[bench]", ...args);

// Where the .wasm's bytes go (this compiles, so it runs before anything is timed).
log("sizes per crate (twiggy)");
const crates = crateSizes();

const { groupText, crateRows, ownBytes, dataBytes, restBytes } = sizeTables(crates);
log("the floor: the same API with none of its behaviour (bench/floor)");
const floor = await floorSizes();

const server = await startServer({ latencyMs: 20 });
const browser = await launchBrowser();
const context = await browser.newContext();
const results = {};

async function openPage() {
  const page = await context.newPage();
  await page.goto(`${server.url}/bench/index.html`);
  await page.waitForFunction(() => window.benchReady === true, null, { timeout: 20_000 });
  return page;
}

try {
  const page = await openPage();

  log(`uncontended cycles: ${BLOCKS} blocks × ${CYCLES} per implementation, alternating`);
  for (const write of [false, true]) {
    const name = write ? "write cycle (spinLock, compare, saveInMemoryAndDb, release)" : "read-only cycle (spinLock, compare, release)";
    // One untimed block each first: the engine compiles both on first use.
    await page.evaluate(([w, n]) => window.bench.interleaved(`cycle-${w}`, 1, n, w), [write, CYCLES]);
    const samples = await page.evaluate(([w, b, n]) => window.bench.interleaved(`cycle-${w}`, b, n, w), [write, BLOCKS, CYCLES]);
    results[name] = {
      unit: "ms/cycle",
      lib: median(samples.lib),
      plain: median(samples.plain),
      lowerIsBetter: true,
      interval: ratioInterval(samples.lib, samples.plain),
    };
  }

  log("time from import to an open manager");
  const open = { lib: [], "lib-alongside": [], plain: [] };
  for (let i = 0; i < OPEN_SAMPLES; i++) {
    for (const impl of Object.keys(open)) open[impl].push(await page.evaluate((x) => window.bench.openMs(x), impl));
  }
  results["import → open manager (init() fetches the .wasm)"] = { unit: "ms", lib: median(open.lib), plain: median(open.plain), lowerIsBetter: true };
  results["import → open manager (.wasm fetched alongside the import)"] = { unit: "ms", lib: median(open["lib-alongside"]), plain: median(open.plain), lowerIsBetter: true };

  for (const tabs of [2, 4, 8]) {
    log(`contention: ${tabs} tabs × ${CONTENTION_OPS} increments`);
    const pages = [page];
    while (pages.length < tabs) pages.push(await openPage());
    const throughput = { lib: [], plain: [] };
    let exact = true;
    for (let round = 0; round < CONTENTION_ROUNDS; round++) {
      for (const impl of round % 2 ? [...IMPLS].reverse() : IMPLS) {
        const session = `contend-${tabs}-${round}`;
        const startAt = Date.now() + 300;
        const ends = await Promise.all(pages.map((p) => p.evaluate(([i, s, n, t]) => window.bench.contend(i, s, n, t), [impl, session, CONTENTION_OPS, startAt])));
        const seconds = (Math.max(...ends) - startAt) / 1000;
        throughput[impl].push((tabs * CONTENTION_OPS) / seconds);
        const final = await page.evaluate(([i, s]) => window.bench.counter(i, s), [impl, session]);
        exact &&= final === tabs * CONTENTION_OPS;
      }
    }
    results[`contention, ${tabs} tabs (counter exact: ${exact ? "yes" : "NO"})`] = { unit: "ops/s", lib: median(throughput.lib), plain: median(throughput.plain), lowerIsBetter: false };
    for (const p of pages.slice(1)) await p.close();
  }

  log(`${RACE_TABS} tabs race to refresh, ${RACE_ROUNDS} rounds per implementation`);
  const racePages = [page];
  while (racePages.length < RACE_TABS) racePages.push(await openPage());
  const race = { lib: { calls: 0, invalid: 0, ms: [] }, plain: { calls: 0, invalid: 0, ms: [] } };
  for (const impl of IMPLS) await page.evaluate(([i, s]) => window.bench.login(i, s), [impl, "race"]);
  for (let round = 0; round < RACE_ROUNDS; round++) {
    for (const impl of round % 2 ? [...IMPLS].reverse() : IMPLS) {
      await fetch(`${server.url}/stats/reset`, { method: "POST" });
      const startAt = Date.now() + 400;
      const done = await Promise.all(racePages.map((p) => p.evaluate(([i, s, t]) => window.bench.refreshAt(i, s, t), [impl, "race", startAt])));
      const stats = await (await fetch(`${server.url}/stats`)).json();
      race[impl].calls = Math.max(race[impl].calls, stats.tokenCalls);
      race[impl].invalid += stats.invalidGrant;
      race[impl].ms.push(Math.max(...done.map((d) => d.at)) - startAt);
    }
  }
  for (const p of racePages.slice(1)) await p.close();
  results[`${RACE_TABS} tabs race: time until all hold new tokens`] = { unit: "ms", lib: median(race.lib.ms), plain: median(race.plain.ms), lowerIsBetter: true };
  results.raceCalls = race;

  log("recovery after the holder tab closes");
  const recovery = { lib: [], plain: [] };
  for (let i = 0; i < 4; i++) {
    for (const impl of IMPLS) {
      const session = `recover-${i}`;
      const holder = await openPage();
      await holder.evaluate(([x, s]) => window.bench.hold(x, s), [impl, session]);
      const waiter = page.evaluate(([x, s]) => window.bench.waitForLock(x, s), [impl, session]);
      await new Promise((r) => setTimeout(r, 100));
      const closedAt = Date.now();
      await holder.close();
      recovery[impl].push((await waiter) - closedAt);
    }
  }
  results["recovery after the holder tab closes"] = { unit: "ms", lib: median(recovery.lib), plain: median(recovery.plain), lowerIsBetter: true };
} finally {
  await browser.close();
  await server.close();
}

const kib = (bytes) => (bytes / 1024).toFixed(1);
const gz = async (path) => gzipSync(await readFile(path), { level: 9 }).length;
const sizes = { ...packageSizes(), plain: await gz("bench/plain.js") };
// Bytes of the .wasm before gzip, in KiB after it at the .wasm's overall ratio.
const gzKiB = (bytes) => ((bytes * sizes.wasm) / sizes.wasmRaw / 1024).toFixed(1);

// ---- report -------------------------------------------------------------
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
  const ratio = r.lowerIsBetter ? r.lib / r.plain : r.lib / r.plain;
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
verdicts.push(`- size: ${(sizeTotal / 1024).toFixed(1)} KiB gzipped (.wasm ${(sizes.wasm / 1024).toFixed(1)} + JS glue ${(sizes.glue / 1024).toFixed(1)} + JS snippets ${(sizes.snippets / 1024).toFixed(1)}; target ≤ 40 KB): **${sizeTotal <= 40_000 ? "met" : "missed"}**`);

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
| size, gzipped | ${(sizes.wasm / 1024).toFixed(1)} KiB .wasm + ${((sizes.glue + sizes.snippets) / 1024).toFixed(1)} KiB JS | ${(sizes.plain / 1024).toFixed(1)} KiB JS | |

Targets:
${verdicts.join("\n")}

Each uncontended cycle is ${BLOCKS} blocks of ${CYCLES} iterations of each
implementation in turn, in one call of the page, the order swapped every block (after one
untimed block of each, so that neither is measured while the engine compiles it); the 95 %
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
release build with its names kept, after the same wasm-opt -Oz; KiB before gzip;
\`node scripts/size.mjs --crates\` prints it). \`make test\` fails when the gzipped
package grows past ${(BUDGET_BYTES / 1024).toFixed(1)} KiB (\`scripts/size.mjs\`), just above the size it has now.

The 40 KB goal is not met, and this table is what stands between. In groups,
before gzip: ${groupText}. At the .wasm's overall ratio
(${((100 * sizes.wasm) / sizes.wasmRaw).toFixed(0)} %), this library's own code is about ${gzKiB(ownBytes)} KiB gzipped, its data
(mostly its messages) about ${gzKiB(dataBytes)}, and the rest (Rust's runtime, wasm-bindgen and
the named crates, which also hold the bodies of the library's boxed closures) about
${gzKiB(restBytes)}; the JS glue and \`browser.js\` add ${((sizes.glue + sizes.snippets) / 1024).toFixed(1)} KiB. The library's own code is
the contract's behaviour: each async method one state machine with the core's
steps inlined into it, each bad input its own message; no feature or message
was dropped to shrink it. Reaching 40 KB would take about
${((sizes.total - 40_000) / 1024).toFixed(0)} KiB gzipped off the library's own code and data, ${(
  (100 * (sizes.total - 40_000)) / 1024 / (Number(gzKiB(ownBytes)) + Number(gzKiB(dataBytes)))
).toFixed(0)} % of them.

The floor, measured: \`bench/floor\` is this API (both classes, every method
and getter, the same signatures) with none of its behaviour, each method doing
the least its contract asks of the named crates (\`open()\` opens the database
through indexed_db_futures, tokens are hashed with sha2, a write serializes the
record with serde-wasm-bindgen, errors are thiserror errors made JS Errors, each
async method awaits one promise), built and packaged as the library is. It
weighs ${kib(floor.total)} KiB gzipped (.wasm ${kib(floor.wasm)} + JS glue ${kib(floor.glue)}): what a
wasm-bindgen package of this API and these crates costs before it does anything.
The library's behaviour (both locks, the in-context turns, fencing, single
flight, adoption, logout, close(), every check and its message, broadcast,
diagnostics) is the other ${kib(sizes.total - floor.total)} KiB. Within 40 KB, that behaviour
would have to fit in ${kib(40_000 - floor.total)} KiB gzipped, ${(
  (100 * (40_000 - floor.total)) / (sizes.total - floor.total)
).toFixed(0)} % of what it weighs now.

| crate | KiB | what it is for |
|---|---|---|
${crateRows}

serde-wasm-bindgen writes the records (each record's \`Serialize\` a map of its
three fields, written as a plain object, \`None\` as \`null\`, the hash as a
\`Uint8Array\`). They are not derived structs: serde-wasm-bindgen turns a struct's
field names into JS strings through a cache (a \`HashMap\` of its own), and the
same records written from derived structs made the package 1.1 KiB gzipped
larger (2026-12-05). Reading them
with it was measured and left out (2026-12-02): a serde-derived struct whose
three fields stay JavaScript values, so no error got less precise, made the
package 96.9 KiB gzipped instead of 75.9: serde's error messages
(\`invalid_type\` and \`Unexpected\`) link float formatting back in (\`f64\`
Display alone 13.6 KiB before gzip), for a record of three fields that the
web layer reads in a dozen lines. Options and tokens were not tried with it
for the same reason.
`;
await writeFile("BENCHMARKS.md", report);
console.log(report);
