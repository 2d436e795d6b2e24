// Whether the module at `url` (its `import.meta.url`) is the script node was
// started with: also through a symbolic link, or from a path with a space,
// which a file URL spells otherwise. False where there is no script path
// (node -e, a REPL).
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";

export function isMain(url) {
  try {
    return Boolean(process.argv[1]) && realpathSync(process.argv[1]) === fileURLToPath(url);
  } catch {
    return false;
  }
}
