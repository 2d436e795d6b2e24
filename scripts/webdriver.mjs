// Drives Firefox (geckodriver) and WebKitGTK (WebKitWebDriver, under Xvfb)
// through selenium-webdriver, for the end-to-end tests in those engines:
// several windows of one browser profile, each running the demo page.
// Uses the drivers make setup installs; selenium-webdriver is pointed at a
// running driver, so it never looks for (or downloads) one of its own.
import { By } from "selenium-webdriver";

export { startSession } from "./drivers.mjs";

/** Runs `body(...args)` (a function returning a promise) in the window `handle`; resolves with its value. */
export async function inWindow(driver, handle, body, ...args) {
  await driver.switchTo().window(handle);
  const result = await driver.executeAsyncScript(
    `const done = arguments[arguments.length - 1];
     const body = ${body.toString()};
     Promise.resolve()
       .then(() => body(...Array.prototype.slice.call(arguments, 0, -1)))
       .then((value) => done({ value }), (error) => done({ error: String(error) + (error && error.stack ? "\\n" + error.stack : "") }));`,
    ...args,
  );
  if (result.error) throw new Error(`in the page: ${result.error}`);
  return result.value;
}

/** Waits (in the current window) until the demo page is ready. */
const demoReady = () =>
  new Promise((resolve, reject) => {
    const deadline = Date.now() + 20_000;
    (function poll() {
      if (window.demo?.ready) return window.demo.error ? reject(new Error(window.demo.error)) : resolve(true);
      if (Date.now() > deadline) return reject(new Error("the demo did not start within 20 s"));
      setTimeout(poll, 50);
    })();
  });

/** Opens `count` windows on `url` (the first in the session's own window); resolves with their handles. */
export async function openWindows(driver, url, count) {
  const handles = [];
  for (let i = 0; i < count; i++) {
    if (i > 0) await driver.switchTo().newWindow("window");
    await driver.get(url);
    const handle = await driver.getWindowHandle();
    await inWindow(driver, handle, demoReady);
    handles.push(handle);
  }
  return handles;
}

/**
 * Every window runs `body(at, fired)` at one instant (each is armed first,
 * then all fire at `at`); resolves with each window's result. By default the
 * body is the demo's refresh through the library. A body that calls
 * `fired()` (once it has read what it must read of its window at that
 * instant) makes the collection wait until every window has, before it
 * switches between them: switching makes a tab visible, and a hidden tab's
 * throttled timer may fire late.
 */
export async function raceWindows(driver, handles, body = (t) => window.demo.refreshAt(t)) {
  const at = Date.now() + 400 + 150 * handles.length;
  for (const handle of handles) {
    await inWindow(
      driver,
      handle,
      (source, t) => {
        // eslint-disable-next-line no-new-func
        const run = new Function(`return (${source})`)();
        const fired = () => localStorage.setItem(`raced:${t}:${Math.random()}`, "1");
        window.raced = Promise.resolve()
          .then(() => run(t, fired))
          .then(
            (value) => ({ value }),
            (error) => ({ error: String(error) }),
          );
      },
      body.toString(),
      at,
    );
  }
  if (body.length >= 2) {
    // In the window selected now: wait until every window has fired.
    await driver.executeAsyncScript(
      (t, count, done) => {
        const key = `raced:${t}:`;
        (function poll() {
          const n = Object.keys(localStorage).filter((k) => k.startsWith(key)).length;
          if (n >= count) done();
          else setTimeout(poll, 20);
        })();
      },
      at,
      handles.length,
    );
  }
  const results = [];
  for (const handle of handles) {
    const settled = await inWindow(driver, handle, () => window.raced);
    if (settled.error) throw new Error(`a window's race failed: ${settled.error}`);
    results.push(settled.value);
  }
  return results;
}

/** Logs in from the first window and waits until every window knows the session. */
export async function loginWindows(driver, handles) {
  const [first] = handles;
  const kind = await inWindow(driver, first, async () => (await (await fetch("/config.json")).json()).server);
  await driver.switchTo().window(first);
  if (kind === "oidc") {
    await driver.findElement(By.css("#login")).click();
    await signInAtProvider(driver);
    await inWindow(driver, first, demoReady);
  } else {
    await inWindow(driver, first, () => window.demo.login());
  }
  const hash = await inWindow(driver, first, () =>
    new Promise((resolve) => {
      (function poll() {
        const h = window.demo.knownHash();
        if (h) resolve(h);
        else setTimeout(poll, 50);
      })();
    }),
  );
  for (const handle of handles) {
    await inWindow(
      driver,
      handle,
      (h) =>
        new Promise((resolve, reject) => {
          const deadline = Date.now() + 10_000;
          (function poll() {
            if (window.demo.knownHash() === h) return resolve(true);
            if (Date.now() > deadline) return reject(new Error("this window never learned the session"));
            setTimeout(poll, 50);
          })();
        }),
      hash,
    );
  }
}

/** On oidc-provider's development login and consent pages: signs in, consents, and waits to be back in the app. */
async function signInAtProvider(driver) {
  const atProvider = async () => new URL(await driver.getCurrentUrl()).pathname.startsWith("/oidc/");
  await driver.wait(atProvider, 10_000, "the login did not go to the provider");
  for (let step = 0; step < 200; step++) {
    const path = new URL(await driver.getCurrentUrl()).pathname;
    if (!path.startsWith("/oidc/")) return;
    const login = await driver.findElements(By.css('input[name="login"]'));
    const consent = await driver.findElements(By.css('input[name="prompt"][value="consent"]'));
    if (path.startsWith("/oidc/") && login.length) {
      await login[0].sendKeys("alice");
      await driver.findElement(By.css('input[name="password"]')).sendKeys("any password");
      await driver.findElement(By.css('button[type="submit"]')).click();
    } else if (path.startsWith("/oidc/") && consent.length) {
      await driver.findElement(By.css('button[type="submit"]')).click();
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the provider's pages did not lead back to the app (at ${await driver.getCurrentUrl()})`);
}
