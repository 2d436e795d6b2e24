// Import maps do not reach workers: a module worker imports the file itself.
import init, { CrossTabRefreshManager } from "/node_modules/cross-tab-refresh/cross_tab_refresh.js";
import { lockedSave } from "/check.js";

try {
  await init();
  const result = await lockedSave(CrossTabRefreshManager, "worker");
  postMessage({ ...result, scope: self.constructor.name });
} catch (error) {
  postMessage({ error: `${error.name}: ${error.message}` });
}
