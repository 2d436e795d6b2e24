// Starts Firefox (geckodriver) or WebKitGTK (WebKitWebDriver, under Xvfb)
// for scripts/webdriver.mjs: a driver on a free loopback port and a
// selenium-webdriver session pointed at it, so that selenium never looks for
// (or downloads) a driver of its own.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { Builder } from "selenium-webdriver";

const MINIBROWSER = process.env.MINIBROWSER_PATH ?? "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";

const ENGINES = {
  firefox: {
    command: () => ["geckodriver", ["--port", "PORT"]],
    capabilities: {
      browserName: "firefox",
      "moz:firefoxOptions": {
        args: ["-headless"],
        prefs: { "network.proxy.type": 0, "app.update.enabled": false, "browser.shell.checkDefaultBrowser": false },
      },
    },
  },
  webkit: {
    // WebKitGTK has no headless mode: its driver and MiniBrowser run in Xvfb.
    command: () => ["xvfb-run", ["-a", "WebKitWebDriver", "--port=PORT"]],
    capabilities: {
      browserName: "MiniBrowser",
      "webkitgtk:browserOptions": { binary: MINIBROWSER, args: ["--automation"] },
    },
  },
};

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Waits until the driver on `url` answers /status as ready. */
async function driverReady(url, child, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let exited = null;
  child.once("exit", (code) => {
    exited = code;
  });
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`the WebDriver driver exited with ${exited} before it was ready`);
    try {
      const status = await (await fetch(`${url}/status`)).json();
      if (status.value?.ready) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the WebDriver driver at ${url} was not ready within ${timeoutMs} ms`);
}

/**
 * Starts `engine`'s driver and a browser session. Returns { driver, stop }.
 * Throws with the driver's own words when the engine cannot be driven.
 */
export async function startSession(engine) {
  const spec = ENGINES[engine];
  if (!spec) throw new Error(`unknown engine ${engine} (firefox, webkit)`);
  if (engine === "webkit" && !existsSync(MINIBROWSER)) {
    throw new Error(`MiniBrowser not found at ${MINIBROWSER}: run 'make setup' (or set MINIBROWSER_PATH)`);
  }
  const port = await freePort();
  const [command, args] = spec.command();
  const child = spawn(command, args.map((a) => a.replace("PORT", String(port))), {
    stdio: ["ignore", "ignore", "pipe"],
    detached: true, // its own process group, so stop() ends Xvfb too
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr = (stderr + chunk).slice(-2000);
  });
  const stopDriver = () => {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      // Already gone.
    }
  };
  const url = `http://127.0.0.1:${port}`;
  let driver;
  try {
    await driverReady(url, child);
    driver = await new Builder().usingServer(url).withCapabilities(spec.capabilities).build();
    await driver.manage().setTimeouts({ script: 60_000 });
  } catch (error) {
    stopDriver();
    throw new Error(`${engine}: ${error.message}${stderr ? `\n${stderr}` : ""}`);
  }
  return {
    driver,
    async stop() {
      await driver.quit().catch(() => {});
      stopDriver();
    },
  };
}
