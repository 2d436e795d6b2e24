// The static files of www/server.mjs: the demo (www/), the benchmark
// (bench/), the package (pkg/) and any extra mounts, under the project root
// only.

import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { HttpError } from "./mock.mjs";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".ts": "text/plain; charset=utf-8",
};

/** Serves the file at `pathname` (`mounts`: prefix → directory first). */
export async function serveFile(req, res, pathname, mounts) {
  let relative;
  try {
    relative = decodeURIComponent(pathname);
  } catch {
    throw new HttpError(400, "invalid_request", "bad path encoding");
  }
  for (const [prefix, dir] of Object.entries(mounts)) {
    if (relative.startsWith(prefix)) {
      const inner = relative.slice(prefix.length) || "index.html";
      const file = normalize(join(dir, inner));
      if (!file.startsWith(resolve(dir) + sep)) throw new HttpError(404, "not_found");
      return sendFile(req, res, file, relative);
    }
  }
  if (relative === "/") relative = "/www/index.html";
  else if (!["/pkg/", "/www/", "/bench/"].some((prefix) => relative.startsWith(prefix))) relative = `/www${relative}`;
  const file = normalize(join(ROOT, relative));
  if (!file.startsWith(ROOT + sep) || relative.includes("\0")) throw new HttpError(404, "not_found");
  return sendFile(req, res, file, relative);
}

// Revalidated on every load (no-cache), as a static server does it: with
// an ETag, so that an unchanged file costs a 304 and the browser keeps
// what it made of it (Chromium's compiled-code cache for the .wasm). Not
// no-store: a page may enter the back/forward cache (which no-store rules
// out in Chromium).
async function sendFile(req, res, file, relative) {
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) throw new HttpError(404, "not_found", `${relative} not found`);
  const etag = `W/"${info.size.toString(16)}-${Math.trunc(info.mtimeMs).toString(16)}"`;
  const headers = { "cache-control": "no-cache", etag };
  if (req.headers["if-none-match"] === etag) {
    res.writeHead(304, headers);
    res.end();
    return null;
  }
  res.writeHead(200, { ...headers, "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
  res.end(await readFile(file));
  return null;
}
