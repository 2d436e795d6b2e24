// `make demo`: opens N headless Chromium tabs on the demo, logs in (against
// oidc-provider: the authorization code flow with PKCE through its login and
// consent pages), makes every tab refresh at the same instant for several
// rounds, and prints what happened. Exits non-zero if any round made more than
// one refresh grant, saw an invalid_grant, or lost the grant.
//
//   node scripts/demo.mjs [--tabs 8] [--rounds 5] [--latency-ms 40] [--server oidc|mock] [--screenshot docs/demo.png]
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { startServer } from "../www/server.mjs";
import { launchBrowser, login, openTabs, race, resetStats, states, stats } from "./tabs.mjs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const tabs = Number(option("--tabs", 8));
const rounds = Number(option("--rounds", 5));
const latencyMs = Number(option("--latency-ms", 40));
const screenshot = option("--screenshot", "docs/demo.png");
const kind = option("--server", "oidc");
if (!(tabs >= 1 && tabs <= 64 && rounds >= 1 && rounds <= 100 && latencyMs >= 0 && ["oidc", "mock"].includes(kind))) {
  console.error("usage: demo.mjs [--tabs 1..64] [--rounds 1..100] [--latency-ms ≥0] [--server oidc|mock] [--screenshot path]");
  process.exit(2);
}

const server = await startServer({ latencyMs, oidc: kind === "oidc" });
const browser = await launchBrowser();
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1040, height: 860 } });
  process.stdout.write(`opening ${tabs} tabs on ${server.url} … `);
  const pages = await openTabs(context, server.url, tabs);
  await login(pages);
  console.log(`logged in (${kind === "oidc" ? "oidc-provider, authorization code + PKCE" : "mock server"}); token endpoint latency ${latencyMs} ms\n`);

  const rows = [];
  for (let round = 1; round <= rounds; round++) {
    await resetStats(server);
    const { results, convergedMs } = await race(pages);
    const s = await stats(server);
    const views = await states(pages);
    const hashes = new Set(views.map((v) => v.knownHash));
    const stored = views[0].stored.dbHash;
    const converged = hashes.size === 1 && hashes.has(stored) && results.every((r) => r.ok);
    const refreshed = results.filter((r) => r.outcome === "refreshed").length;
    const adopted = results.filter((r) => r.outcome === "adopted").length;
    const errors = results.filter((r) => r.outcome === "error");
    // The grant lives: nothing was revoked and the server accepts the tabs' tokens.
    const accepted = await Promise.all(pages.map((page) => page.evaluate(() => window.demo.whoami())));
    const alive = (s.revoked ?? 0) === 0 && accepted.every((status) => status === 200);
    const ok = s.tokenCalls === 1 && s.invalidGrant === 0 && alive && converged && errors.length === 0;
    failed ||= !ok;
    rows.push({ round, calls: s.tokenCalls, invalidGrant: s.invalidGrant, alive, refreshed, adopted, errors: errors.length, convergedMs, ok });
    for (const e of errors) console.error(`  round ${round}: ${e.error}`);
    if (!converged) {
      console.error(`  round ${round}: tabs did not converge: ${JSON.stringify({ known: [...hashes], stored, ok: results.map((r) => r.ok) })}`);
    }
  }

  const header = ["round", "refresh grants", "invalid_grant", "grant alive", "refreshed", "adopted", "errors", "all tabs on new tokens", "result"];
  const table = rows.map((r) => [r.round, r.calls, r.invalidGrant, r.alive ? "yes" : "NO", r.refreshed, r.adopted, r.errors, `${r.convergedMs} ms`, r.ok ? "ok" : "FAIL"]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => String(row[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(" | ")} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const row of table) console.log(line(row));
  const totalCalls = rows.reduce((n, r) => n + r.calls, 0);
  console.log(`\n${tabs} tabs × ${rounds} rounds: ${totalCalls} refresh grants in all (one per round is the goal), ${rows.reduce((n, r) => n + r.invalidGrant, 0)} invalid_grant, grant ${rows.every((r) => r.alive) ? "alive" : "LOST"}.`);

  if (screenshot) {
    await mkdir(dirname(screenshot), { recursive: true });
    await pages[pages.length - 1].bringToFront();
    await new Promise((r) => setTimeout(r, 400)); // let the lock indicator settle
    await pages[pages.length - 1].screenshot({ path: screenshot });
    console.log(`screenshot of a tab: ${screenshot}`);
  }
  for (const page of pages) {
    if (page.problems.length) {
      failed = true;
      console.error(`page errors: ${page.problems.join("; ")}`);
    }
  }
} finally {
  await browser.close();
  await server.close();
}
console.log(failed ? "demo: FAILED" : "demo: ok");
process.exit(failed ? 1 : 0);
