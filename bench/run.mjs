// `make bench`: the library next to the plain-JS way of doing the same work
// (bench/plain.js), in one headless Chromium run, implementations alternating
// so that a noisy machine affects both alike. Writes BENCHMARKS.md (bench/report.mjs).
import { startServer } from "../www/server.mjs";
import { launchBrowser } from "../scripts/tabs.mjs";
import { crateSizes, floorSizes } from "../scripts/size.mjs";
import { writeReport } from "./report.mjs";
import { sizeTables } from "./sizes.mjs";

// Blocks of each uncontended cycle, after WARMUP_BLOCKS untimed ones: V8
// moves hot code to its optimizing tiers over the first hundreds of calls.
const BLOCKS = 150;
const WARMUP_BLOCKS = 5;
const CYCLES = 20;
const CONTENTION_OPS = 40;
const CONTENTION_ROUNDS = 4;
const RACE_TABS = 16;
const RACE_ROUNDS = 5;
const OPEN_SAMPLES = 21;
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
// What makes the run invalid (a lost update, a race that refreshed twice).
const broken = [];

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
    // Untimed blocks of each first: the engine compiles and optimizes both on first use.
    await page.evaluate(([w, b, n]) => window.bench.interleaved(`cycle-${w}`, b, n, w), [write, WARMUP_BLOCKS, CYCLES]);
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
        if (final !== tabs * CONTENTION_OPS) {
          broken.push(`contention, ${tabs} tabs (${impl}): the counter ended at ${final}, not ${tabs * CONTENTION_OPS}: an update was lost`);
        }
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
      if (stats.tokenCalls !== 1 || stats.invalidGrant !== 0) {
        broken.push(`race round ${round} (${impl}): ${stats.tokenCalls} token calls, ${stats.invalidGrant} invalid_grant (one call and none expected)`);
      }
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

console.log(
  await writeReport({
    results,
    floor,
    tables: { groupText, crateRows, ownBytes, dataBytes, restBytes },
    settings: { BLOCKS, WARMUP_BLOCKS, CYCLES, CONTENTION_OPS, OPEN_SAMPLES, RACE_TABS, RACE_ROUNDS, STARTUP_GOAL_MS },
  }),
);

// A benchmark of a lock that lost an update, or of a race that refreshed
// twice, measured something broken: its numbers are written, and it fails.
if (broken.length > 0) {
  console.error(`[bench] not a valid run:\n  ${broken.join("\n  ")}`);
  process.exitCode = 1;
}
