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
// The mock's endpoints (www/mock.mjs):
//   POST /oauth/session   demo login: starts a token family, returns tokens
//   POST /oauth/token     grant_type=refresh_token&refresh_token=…  (form-encoded)
//                         a used or unknown refresh token → 400 {"error":"invalid_grant"}
//   POST /oauth/revoke    token=…  (RFC 7009: always 200)
//   POST /admin/expire    makes every access token unknown (as when they expire)
// And, for Matrix clients (matrix-js-sdk), a minimal homeserver:
//   GET  /_matrix/client/v1/auth_metadata   this server's OAuth 2.0 metadata
//   GET  /_matrix/client/v3/account/whoami  401 M_UNKNOWN_TOKEN for an unknown token
import { createServer } from "node:http";
import { HttpError, MatrixError, createMock, readForm } from "./mock.mjs";
import { CLIENT_ID, MOUNT, createOidc } from "./oidc.mjs";
import { isMain } from "../scripts/is-main.mjs";
import { serveFile } from "./static.mjs";

const ACCESS_TOKEN_TTL_S = 300;

/** Starts the server; resolves with { url, port, state, close() }. */
export async function startServer({ port = 0, latencyMs = 0, quiet = true, accessTokenTtlS = ACCESS_TOKEN_TTL_S, mounts = {}, oidc: withOidc = false } = {}) {
  let oidc = null;
  const state = { latencyMs };
  const mock = createMock(state, accessTokenTtlS);

  function config(req) {
    const origin = `http://${req.headers.host}`;
    return oidc
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
  }

  // oidc-provider's routes, and the demo's API answered from it; null once
  // the provider has answered, undefined for a path it does not own.
  async function routeOidc(req, res, pathname) {
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
    if (pathname.startsWith("/oauth/") || pathname.startsWith("/_matrix/") || pathname === "/admin/expire") {
      throw new HttpError(404, "not_found", "the mock endpoints are off while oidc-provider runs");
    }
    return undefined;
  }

  async function route(req, res, pathname) {
    const post = req.method === "POST";
    if (pathname === "/config.json") {
      // Not no-store, like the static files: it does not keep a page out of
      // the back/forward cache.
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-cache" });
      res.end(JSON.stringify(config(req)));
      return null;
    }
    const stats = oidc ? oidc.stats : mock.stats;
    if (pathname === "/stats") return { ...stats, latencyMs: state.latencyMs };
    if (pathname === "/stats/reset" && post) {
      for (const key of Object.keys(stats)) stats[key] = 0;
      return stats;
    }
    if (pathname === "/admin/latency" && post) {
      const latency = Number((await readForm(req)).get("latencyMs"));
      if (!Number.isInteger(latency) || latency < 0 || latency > 60_000) {
        throw new HttpError(400, "invalid_request", "latencyMs must be an integer from 0 to 60000");
      }
      state.latencyMs = latency;
      return { latencyMs: latency };
    }
    const answer = await (oidc ? routeOidc(req, res, pathname) : mock.route(req, pathname));
    if (answer !== undefined) return answer;
    if (req.method !== "GET" && req.method !== "HEAD") throw new HttpError(405, "invalid_request");
    return serveFile(req, res, pathname, mounts);
  }

  function sendError(res, error) {
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

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    try {
      const body = await route(req, res, url.pathname);
      if (body !== null && !res.headersSent && !res.destroyed) {
        res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
        res.end(JSON.stringify(body));
      }
    } catch (error) {
      if (!res.headersSent && !res.destroyed) sendError(res, error);
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

if (isMain(import.meta.url)) {
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
