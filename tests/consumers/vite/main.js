import init, { CrossTabRefreshManager } from "cross-tab-refresh";
import { lockedSave } from "../check.js";

init()
  .then(() => lockedSave(CrossTabRefreshManager, "vite"))
  .then((result) => (window.result = result))
  .catch((error) => (window.result = { error: `${error.name}: ${error.message}` }));
