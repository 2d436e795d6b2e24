// The mock OAuth server behaves like a rotating-refresh-token server and
// never crashes on bad input.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "../../www/server.mjs";
import { get } from "node:http";

/** GET `path` exactly as written (no dot segments removed), as a Response. */
function rawGet(base, path) {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    get({ hostname, port, path }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => resolve(new Response(Buffer.concat(chunks), { status: res.statusCode })));
    }).on("error", reject);
  });
}

let server;
before(async () => {
  server = await startServer();
});
after(() => server.close());

const form = (path, body, type = "application/x-www-form-urlencoded") =>
  fetch(server.url + path, { method: "POST", headers: { "content-type": type }, body });

test("a refresh token works once", async () => {
  const login = await (await form("/oauth/session", "")).json();
  const grant = `grant_type=refresh_token&refresh_token=${login.refresh_token}`;
  const first = await form("/oauth/token", grant);
  assert.equal(first.status, 200);
  const tokens = await first.json();
  assert.notEqual(tokens.refresh_token, login.refresh_token);
  assert.equal(tokens.token_type, "Bearer");
  const again = await form("/oauth/token", grant);
  assert.equal(again.status, 400);
  assert.deepEqual((await again.json()).error, "invalid_grant");
  const who = await fetch(server.url + "/api/whoami", { headers: { authorization: `Bearer ${tokens.access_token}` } });
  assert.equal(who.status, 200);
  const stale = await fetch(server.url + "/api/whoami", { headers: { authorization: `Bearer ${login.access_token}` } });
  assert.equal(stale.status, 401);
});

test("revocation ends the family", async () => {
  const login = await (await form("/oauth/session", "")).json();
  assert.equal((await form("/oauth/revoke", `token=${login.refresh_token}`)).status, 200);
  const after = await form("/oauth/token", `grant_type=refresh_token&refresh_token=${login.refresh_token}`);
  assert.equal((await after.json()).error, "invalid_grant");
  assert.equal((await form("/oauth/revoke", "token=unknown")).status, 200, "RFC 7009: unknown tokens are fine");
});

test("malformed requests get 4xx answers and the server keeps serving", async () => {
  const cases = [
    [form("/oauth/token", "grant_type=refresh_token", "application/json"), 400, "invalid_request"],
    [form("/oauth/token", ""), 400, "invalid_request"],
    [form("/oauth/token", "grant_type=password"), 400, "unsupported_grant_type"],
    [form("/oauth/token", "grant_type=refresh_token"), 400, "invalid_request"],
    [form("/oauth/token", "grant_type=refresh_token&refresh_token=nope"), 400, "invalid_grant"],
    [form("/oauth/token", "x=" + "a".repeat(20_000)), 413, "invalid_request"],
    [fetch(server.url + "/oauth/token"), 405, "invalid_request"],
    [form("/oauth/revoke", ""), 400, "invalid_request"],
    [form("/admin/latency", "latencyMs=-5"), 400, "invalid_request"],
    [fetch(server.url + "/api/whoami"), 401, "invalid_token"],
    [fetch(server.url + "/%E0%A4%A"), 400, "invalid_request"],
    // Sent as is (fetch() would remove the dot segments first): far enough
    // up to reach the file system's root from anywhere.
    [rawGet(server.url, `/${"../".repeat(30)}etc/passwd`), 404, "not_found"],
    [rawGet(server.url, `/www/${"..%2f".repeat(30)}etc/passwd`), 404, "not_found"],
    [rawGet(server.url, `/pkg/${"..%2F".repeat(30)}etc/passwd`), 404, "not_found"],
    [fetch(server.url + "/nothing-here.js"), 404, "not_found"],
  ];
  for (const [request, status, error] of cases) {
    const response = await request;
    assert.equal(response.status, status);
    assert.equal((await response.json()).error, error);
  }
  const stats = await (await fetch(server.url + "/stats")).json();
  assert.ok(stats.invalidGrant >= 1);
  assert.equal((await fetch(server.url + "/")).status, 200, "still serving");
});
