// The demo's server: a real authorization server (oidc-provider, at /oidc,
// with `oidc: true`) or a mock OAuth 2.0 server with rotating refresh tokens
// for fault injection, and a static file server for the demo (www/), the
// benchmark (bench/) and the package (pkg/). Loopback only.
//
//   node www/server.mjs [--port 8080] [--latency-ms 0] [--server oidc|mock]
//
// Always:
//   GET  /config.json     which server runs, and its endpoints (for the demo page)
//   GET  /api/whoami      Authorization: Bearer <access token> → 200 or 401
//   GET  /stats           { tokenCalls, refreshes, invalidGrant, ... } (oidc: also revoked, logins)
//   POST /stats/reset     zeroes the counters
//   POST /admin/latency   latencyMs=…  delay of the token endpoint
// With oidc: true, everything under /oidc is oidc-provider (www/oidc.mjs).
//
// The mock's endpoints:
//   POST /oauth/session   demo login: starts a token family, returns tokens
//   POST /oauth/token     grant_type=refresh_token&refresh_token=…  (form-encoded)
//                         a used or unknown refresh token → 400 {"error":"invalid_grant"}
//   POST /oauth/revoke    token=…  (RFC 7009: always 200)
//   POST /admin/expire    makes every access token unknown (as when they expire)
// And, for Matrix clients (matrix-js-sdk), a minimal homeserver:
//   GET  /_matrix/client/v1/auth_metadata   this server's OAuth 2.0 metadata
//   GET  /_matrix/client/v3/account/whoami  401 M_UNKNOWN_TOKEN for an unknown token
import { createServer } from "node:http";
import { randomBytes } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { CLIENT_ID, MOUNT, createOidc } from "./oidc.mjs";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const MAX_BODY_BYTES = 16 * 1024;
const ACCESS_TOKEN_TTL_S = 300;
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

class HttpError extends Error {
  constructor(status, error, description) {
    super(description ?? error);
    this.status = status;
    this.error = error;
  }
}

/** A Matrix client-server API error (errcode, not OAuth's error). */
class MatrixError extends Error {
  constructor(status, errcode, message) {
    super(message);
    this.status = status;
    this.errcode = errcode;
  }
}

const token = (prefix) => `${prefix}_${randomBytes(18).toString("base64url")}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts the server; resolves with { url, port, state, close() }. */
export async function startServer({ port = 0, latencyMs = 0, quiet = true, accessTokenTtlS = ACCESS_TOKEN_TTL_S, mounts = {}, oidc: withOidc = false } = {}) {
  let oidc = null;
  const state = {
    latencyMs,
    families: new Map(), // refresh token → family id (only the current one is valid)
    accessTokens: new Map(), // access token → family id
    current: new Map(), // family id → { access, refresh }
    stats: { tokenCalls: 0, refreshes: 0, invalidGrant: 0, revocations: 0, sessions: 0, unknownToken: 0 },
  };

  function issue(family) {
    const old = state.current.get(family);
    if (old) {
      state.families.delete(old.refresh);
      state.accessTokens.delete(old.access);
    }
    const pair = { access: token("at"), refresh: token("rt") };
    state.current.set(family, pair);
    state.families.set(pair.refresh, family);
    state.accessTokens.set(pair.access, family);
    return {
      access_token: pair.access,
      refresh_token: pair.refresh,
      token_type: "Bearer",
      expires_in: accessTokenTtlS,
    };
  }

  async function readForm(req) {
    const type = (req.headers["content-type"] ?? "").split(";")[0].trim();
    if (type !== "application/x-www-form-urlencoded") {
      throw new HttpError(400, "invalid_request", "expected application/x-www-form-urlencoded");
    }
    const chunks = [];
    let size = 0;
    for await (const chunk of req) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) throw new HttpError(413, "invalid_request", "request body too large");
      chunks.push(chunk);
    }
    return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
  }

  async function tokenEndpoint(req, res) {
    state.stats.tokenCalls++;
    const form = await readForm(req);
    const grant = form.get("grant_type");
    if (!grant) throw new HttpError(400, "invalid_request", "grant_type is required");
    if (grant !== "refresh_token") throw new HttpError(400, "unsupported_grant_type");
    const refreshToken = form.get("refresh_token");
    if (!refreshToken) throw new HttpError(400, "invalid_request", "refresh_token is required");
    // As a real server does, rotate on receipt: the response then travels
    // back for `latencyMs`, and a client that goes away meanwhile loses the
    // new tokens while its refresh token is already spent.
    const family = state.families.get(refreshToken);
    let answer;
    if (family === undefined) {
      state.stats.invalidGrant++;
      answer = new HttpError(400, "invalid_grant", "the refresh token is spent, revoked or unknown");
    } else {
      state.stats.refreshes++;
      answer = issue(family);
    }
    if (state.latencyMs > 0) await sleep(state.latencyMs);
    if (answer instanceof HttpError) throw answer;
    return answer;
  }

  async function route(req, res, url) {
    const { pathname } = url;
    const post = req.method === "POST";
    if (pathname === "/config.json") {
      const origin = `http://${req.headers.host}`;
      const config = oidc
        ? {
            server: "oidc",
            clientId: CLIENT_ID,
            redirectUri: `${origin}/`,
            authorizationEndpoint: `${origin}${MOUNT}/auth`,
            tokenEndpoint: `${origin}${MOUNT}/token`,
            revocationEndpoint: `${origin}${MOUNT}/token/revocation`,
            userinfoEndpoint: `${origin}${MOUNT}/me`,
          }
        : { server: "mock", tokenEndpoint: "/oauth/token", revocationEndpoint: "/oauth/revoke" };
      // Not no-store, like the static files: it does not keep a page out of
      // the back/forward cache.
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-cache" });
      res.end(JSON.stringify(config));
      return null;
    }
    if (oidc) {
      if (pathname === MOUNT || pathname.startsWith(`${MOUNT}/`)) {
        // The network's latency, on the way back: the provider acts on
        // receipt (rotates), and a client that goes away meanwhile loses the
        // answer, as with a real server.
        if (pathname === `${MOUNT}/token` && state.latencyMs > 0) {
          const end = res.end.bind(res);
          const latency = state.latencyMs;
          res.end = (...args) => {
            setTimeout(() => end(...args), latency);
            return res;
          };
        }
        oidc.handle(req, res);
        return null;
      }
      if (pathname === "/api/whoami") {
        const auth = req.headers.authorization ?? "";
        if (!(await oidc.accepts(auth.replace(/^Bearer\s+/i, "")))) throw new HttpError(401, "invalid_token");
        return { sub: "demo" };
      }
      if (pathname === "/stats") return { ...oidc.stats, latencyMs: state.latencyMs };
      if (pathname === "/stats/reset" && post) {
        for (const key of Object.keys(oidc.stats)) oidc.stats[key] = 0;
        return oidc.stats;
      }
      if (pathname.startsWith("/oauth/") || pathname.startsWith("/_matrix/") || pathname === "/admin/expire") {
        throw new HttpError(404, "not_found", "the mock endpoints are off while oidc-provider runs");
      }
    }
    if (pathname === "/oauth/token") {
      if (!post) throw new HttpError(405, "invalid_request", "use POST");
      return tokenEndpoint(req, res);
    }
    if (pathname === "/oauth/session") {
      if (!post) throw new HttpError(405, "invalid_request", "use POST");
      state.stats.sessions++;
      return issue(token("family"));
    }
    if (pathname === "/oauth/revoke") {
      if (!post) throw new HttpError(405, "invalid_request", "use POST");
      const form = await readForm(req);
      const value = form.get("token");
      if (!value) throw new HttpError(400, "invalid_request", "token is required");
      const family = state.families.get(value) ?? state.accessTokens.get(value);
      if (family !== undefined) {
        const pair = state.current.get(family);
        state.families.delete(pair.refresh);
        state.accessTokens.delete(pair.access);
        state.current.delete(family);
        state.stats.revocations++;
      }
      return {};
    }
    if (pathname === "/api/whoami") {
      const auth = req.headers.authorization ?? "";
      const family = state.accessTokens.get(auth.replace(/^Bearer\s+/i, ""));
      if (family === undefined) throw new HttpError(401, "invalid_token");
      return { user_id: "@demo:localhost" };
    }
    if (pathname === "/_matrix/client/v1/auth_metadata") {
      const origin = `http://${req.headers.host}`;
      return {
        issuer: `${origin}/`,
        authorization_endpoint: `${origin}/oauth/authorize`,
        token_endpoint: `${origin}/oauth/token`,
        revocation_endpoint: `${origin}/oauth/revoke`,
        registration_endpoint: `${origin}/oauth/register`,
        response_modes_supported: ["query", "fragment"],
        response_types_supported: ["code"],
        grant_types_supported: ["authorization_code", "refresh_token"],
        code_challenge_methods_supported: ["S256"],
      };
    }
    if (pathname === "/_matrix/client/v3/account/whoami") {
      const auth = req.headers.authorization ?? "";
      const family = state.accessTokens.get(auth.replace(/^Bearer\s+/i, ""));
      if (family === undefined) {
        state.stats.unknownToken++;
        throw new MatrixError(401, "M_UNKNOWN_TOKEN", "Unknown access token");
      }
      return { user_id: "@demo:localhost", device_id: "DEMODEVICE" };
    }
    if (pathname === "/admin/expire" && post) {
      state.accessTokens.clear();
      return {};
    }
    if (pathname === "/stats") return { ...state.stats, latencyMs: state.latencyMs };
    if (pathname === "/stats/reset" && post) {
      for (const key of Object.keys(state.stats)) state.stats[key] = 0;
      return state.stats;
    }
    if (pathname === "/admin/latency" && post) {
      const latency = Number((await readForm(req)).get("latencyMs"));
      if (!Number.isInteger(latency) || latency < 0 || latency > 60_000) {
        throw new HttpError(400, "invalid_request", "latencyMs must be an integer from 0 to 60000");
      }
      state.latencyMs = latency;
      return { latencyMs: latency };
    }
    if (req.method !== "GET" && req.method !== "HEAD") throw new HttpError(405, "invalid_request");
    return serveFile(req, res, pathname);
  }

  async function serveFile(req, res, pathname) {
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

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    try {
      const body = await route(req, res, url);
      if (body !== null && !res.headersSent && !res.destroyed) {
        res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
        res.end(JSON.stringify(body));
      }
    } catch (error) {
      if (res.headersSent || res.destroyed) return;
      const status = error instanceof HttpError || error instanceof MatrixError ? error.status : 500;
      const payload =
        error instanceof MatrixError
          ? { errcode: error.errcode, error: error.message }
          : error instanceof HttpError
            ? { error: error.error, error_description: error.message }
            : { error: "server_error" };
      if (!(error instanceof HttpError) && !quiet) console.error(error);
      res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify(payload));
    }
  });
  server.on("clientError", (_, socket) => socket.destroy());
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const actualPort = server.address().port;
  if (withOidc) oidc = createOidc(`http://127.0.0.1:${actualPort}`);
  return {
    url: `http://127.0.0.1:${actualPort}`,
    oidc,
    port: actualPort,
    state,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const option = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : fallback;
  };
  const kind = option("--server", "oidc");
  if (kind !== "oidc" && kind !== "mock") {
    console.error("--server must be oidc or mock");
    process.exit(2);
  }
  const server = await startServer({
    port: Number(option("--port", 8080)),
    latencyMs: Number(option("--latency-ms", 0)),
    quiet: false,
    oidc: kind === "oidc",
  });
  console.log(`cross-tab-refresh demo (${kind === "oidc" ? "oidc-provider" : "mock server"}): open ${server.url}/ in several tabs (Ctrl-C to stop)`);
}
