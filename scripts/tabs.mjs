// Drives headless Chromium tabs against the demo server, for `make demo` and
// the end-to-end tests. Uses Debian's Chromium through playwright-core; no
// browser is ever downloaded.
import { chromium } from "playwright-core";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** What headless Debian Chromium needs here, whoever starts it. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: run 'make setup' (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      ...CHROMIUM_ARGS,
      // Tabs opened by automation are all "background" tabs; keep their
      // timers honest so the race is what a user would see with visible tabs.
      "--disable-background-timer-throttling",
      "--disable-renderer-backgrounding",
      "--disable-backgrounding-occluded-windows",
    ],
  });
}

/** Opens a tab on `url` and waits for the demo to be ready. */
/**
 * Chromium started by hand, attached over CDP with no focus emulation:
 * Playwright's own launch keeps every page "visible", and a frozen or hidden
 * page then is not. Resolves with `{ context, close() }`.
 */
export async function launchUnemulated() {
  const profile = mkdtempSync(join(tmpdir(), "ctr-chromium-"));
  const child = spawn(
    CHROMIUM,
    [
      "--headless",
      ...CHROMIUM_ARGS,
      `--user-data-dir=${profile}`,
      "--remote-debugging-port=0",
      "about:blank",
    ],
    // Its own process group, so that its helpers go with it.
    { stdio: ["ignore", "ignore", "pipe"], detached: true },
  );
  const endpoint = await new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error("Chromium printed no DevTools endpoint")), 20_000);
    child.stderr.on("data", (chunk) => {
      seen += chunk;
      const found = seen.match(/DevTools listening on (ws:\/\/\S+)/);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    });
    child.once("exit", (code) => reject(new Error(`Chromium exited (${code}) before it listened`)));
  });
  const browser = await chromium.connectOverCDP(endpoint, { noDefaults: true });
  return {
    context: browser.contexts()[0],
    close: async () => {
      await browser.close().catch(() => {});
      const exited = new Promise((resolve) => child.once("exit", resolve));
      process.kill(-child.pid, "SIGKILL");
      await exited;
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}

export async function openTab(context, url) {
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(String(error)));
  await page.goto(url);
  await waitReady(page);
  page.problems = problems;
  return page;
}

export async function waitReady(page) {
  await page.waitForFunction(() => window.demo?.ready === true, null, { timeout: 20_000, polling: 100 });
  const error = await page.evaluate(() => window.demo.error ?? null);
  if (error) throw new Error(`the demo failed to start: ${error}`);
}

export async function openTabs(context, url, count) {
  const pages = [];
  for (let i = 0; i < count; i++) pages.push(await openTab(context, url));
  return pages;
}

export async function stats(server) {
  return (await fetch(`${server.url}/stats`)).json();
}

export async function resetStats(server) {
  await fetch(`${server.url}/stats/reset`, { method: "POST" });
}

export async function setLatency(server, latencyMs) {
  await fetch(`${server.url}/admin/latency`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ latencyMs: String(latencyMs) }),
  });
}

/**
 * Every tab refreshes at the same instant. Resolves with each tab's result
 * and the time (ms) from that instant until the last tab held new tokens.
 */
export async function race(pages) {
  const at = Date.now() + 300;
  const results = await Promise.all(pages.map((page) => page.evaluate((t) => window.demo.refreshAt(t), at)));
  return { results, convergedMs: Date.now() - at };
}

/**
 * Throws unless the race raced: another tab's refresh() was called before
 * the refreshing tab's token request came back, while that tab held the
 * lock, so it had to wait for it (tabs that refresh one after another would
 * make one token call with no lock at all). `results` are the demo's
 * refresh() results.
 */
export function assertRaced(results, label = "") {
  const refreshed = results.find((r) => r.outcome === "refreshed");
  if (!refreshed) throw new Error(`${label}: no tab refreshed: ${JSON.stringify(results)}`);
  const overlapping = results.filter((r) => r !== refreshed && r.calledAt < refreshed.networkEndAt);
  if (overlapping.length === 0) {
    throw new Error(`${label}: no refresh() was called while the refreshing one ran: the tabs did not race: ${JSON.stringify(results)}`);
  }
}

/**
 * Logs in from the first tab and waits until every tab knows the session.
 * Against oidc-provider, that is the authorization code flow with PKCE
 * through its development login and consent pages (any login works).
 */
export async function login(pages) {
  const kind = await pages[0].evaluate(async () => (await (await fetch("/config.json")).json()).server);
  if (kind === "oidc") await loginThroughProvider(pages[0]);
  else await pages[0].evaluate(() => window.demo.login());
  const hash = await pages[0].evaluate(() => window.demo.knownHash());
  await Promise.all(
    pages.map((page) => page.waitForFunction((h) => window.demo.knownHash() === h, hash, { timeout: 10_000, polling: 100 })),
  );
}

/** Clicks like a user, but without Playwright's checks for a painted page (a background tab paints nothing). */
const press = (page, selector) => page.$eval(selector, (element) => element.click());

async function loginThroughProvider(page) {
  await press(page, "#login");
  await signInAtProvider(page);
  await page.waitForURL((url) => url.pathname === "/");
  await waitReady(page);
  await page.waitForFunction(() => window.demo.knownHash() !== null, null, { timeout: 10_000, polling: 100 });
}

/**
 * On a page that is going to oidc-provider's login: signs in (any login
 * works with its development pages) and consents; the provider then
 * redirects back to the app with a code.
 */
export async function signInAtProvider(page) {
  // The provider may remember the sign-in (its session cookie) and skip
  // the login form, or the consent: go through whichever page comes.
  await page.waitForURL((url) => url.pathname.startsWith("/oidc/"));
  for (let step = 0; step < 100; step++) {
    await page.waitForLoadState();
    if (!new URL(page.url()).pathname.startsWith("/oidc/")) return;
    if (await page.$('input[name="login"]')) {
      await page.fill('input[name="login"]', "alice");
      await page.fill('input[name="password"]', "any password");
      await Promise.all([page.waitForNavigation(), press(page, 'button[type="submit"]')]);
    } else if (await page.$('input[name="prompt"][value="consent"]')) {
      await Promise.all([page.waitForNavigation(), press(page, 'button[type="submit"]')]);
    } else {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`the provider's pages did not lead back to the app (at ${page.url()})`);
}

/** Every tab's view of the session. */
export async function states(pages) {
  return Promise.all(pages.map((page) => page.evaluate(() => window.demo.state())));
}
