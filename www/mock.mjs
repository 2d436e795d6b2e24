// The mock OAuth 2.0 server behind www/server.mjs (`--server mock`): token
// families with rotating refresh tokens, RFC 7009 revocation, and the two
// Matrix endpoints matrix-js-sdk needs. Its tokens are random; a spent or
// unknown refresh token is `invalid_grant`, as oidc-provider answers it.

import { randomBytes } from "node:crypto";

const MAX_BODY_BYTES = 16 * 1024;

/** An OAuth 2.0 error response: `{ error, error_description }` with `status`. */
export class HttpError extends Error {
  constructor(status, error, description) {
    super(description ?? error);
    this.status = status;
    this.error = error;
  }
}

/** A Matrix client-server API error (errcode, not OAuth's error). */
export class MatrixError extends Error {
  constructor(status, errcode, message) {
    super(message);
    this.status = status;
    this.errcode = errcode;
  }
}

/** The form-encoded body of `req`, at most 16 KiB. */
export async function readForm(req) {
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

const token = (prefix) => `${prefix}_${randomBytes(18).toString("base64url")}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const bearer = (req) => (req.headers.authorization ?? "").replace(/^Bearer\s+/i, "");
const ONLY_POST = new Set(["/oauth/token", "/oauth/session", "/oauth/revoke"]);

/**
 * The mock's state (`state.stats`, `state.latencyMs`: read by the demo and
 * the tests through the server) and its router: `route(req, pathname)`
 * resolves with a JSON body, or with `undefined` for a path it does not own.
 */
export function createMock(state, accessTokenTtlS) {
  Object.assign(state, {
    families: new Map(), // refresh token → family id (only the current one is valid)
    accessTokens: new Map(), // access token → family id
    current: new Map(), // family id → { access, refresh }
    stats: { tokenCalls: 0, refreshes: 0, invalidGrant: 0, revocations: 0, sessions: 0, unknownToken: 0 },
  });

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
    return { access_token: pair.access, refresh_token: pair.refresh, token_type: "Bearer", expires_in: accessTokenTtlS };
  }

  async function tokenEndpoint(req) {
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

  async function revoke(req) {
    const value = (await readForm(req)).get("token");
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

  function authMetadata(req) {
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

  function matrixWhoami(req) {
    if (!state.accessTokens.has(bearer(req))) {
      state.stats.unknownToken++;
      throw new MatrixError(401, "M_UNKNOWN_TOKEN", "Unknown access token");
    }
    return { user_id: "@demo:localhost", device_id: "DEMODEVICE" };
  }

  async function route(req, pathname) {
    const post = req.method === "POST";
    if (ONLY_POST.has(pathname) && !post) throw new HttpError(405, "invalid_request", "use POST");
    switch (pathname) {
      case "/oauth/token":
        return tokenEndpoint(req);
      case "/oauth/session":
        state.stats.sessions++;
        return issue(token("family"));
      case "/oauth/revoke":
        return revoke(req);
      case "/api/whoami":
        if (!state.accessTokens.has(bearer(req))) throw new HttpError(401, "invalid_token");
        return { user_id: "@demo:localhost" };
      case "/_matrix/client/v1/auth_metadata":
        return authMetadata(req);
      case "/_matrix/client/v3/account/whoami":
        return matrixWhoami(req);
      case "/admin/expire":
        if (!post) return undefined;
        state.accessTokens.clear();
        return {};
      default:
        return undefined;
    }
  }

  return { route, stats: state.stats };
}
