// A real authorization server for the demo and the end-to-end tests:
// oidc-provider (a certified OpenID provider), mounted at /oidc of the demo
// server. Refresh tokens rotate, and its reuse detection is left as it is: a
// spent refresh token that comes back revokes the whole grant, which logs out
// every tab at once. Logins go through its development login and consent
// pages (any login and password), with the authorization code flow and PKCE.
import Provider from "oidc-provider";

export const CLIENT_ID = "cross-tab-refresh-demo";
export const MOUNT = "/oidc";

/** The provider of `origin` (e.g. http://127.0.0.1:8080), with its counters. */
export function createOidc(origin) {
  const provider = new Provider(`${origin}${MOUNT}`, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_name: "cross-tab-refresh demo",
        application_type: "web",
        token_endpoint_auth_method: "none",
        // The demo page, and the oidc-client-ts example of tests/e2e/clients.test.mjs.
        redirect_uris: [`${origin}/`, `${origin}/ocs/`],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
      },
    ],
    // Every login of this client gets a refresh token (no offline_access
    // dance); every refresh rotates it.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token"),
    rotateRefreshToken: true,
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    cookies: { keys: ["cross-tab-refresh-demo-cookie-key"] },
    features: { devInteractions: { enabled: true }, revocation: { enabled: true } },
    ttl: { AccessToken: 3_600, IdToken: 3_600, RefreshToken: 86_400, Grant: 86_400, Session: 86_400, Interaction: 3_600 },
    // The demo and the examples are on the provider's own origin: no other.
    clientBasedCORS: (_ctx, requestOrigin) => requestOrigin === origin,
  });
  const stats = { tokenCalls: 0, refreshes: 0, invalidGrant: 0, revoked: 0, logins: 0 };
  provider.on("grant.success", (ctx) => {
    const grant = ctx.oidc.params?.grant_type;
    if (grant === "refresh_token") {
      stats.tokenCalls++;
      stats.refreshes++;
    } else if (grant === "authorization_code") {
      stats.logins++;
    }
  });
  provider.on("grant.error", (ctx, error) => {
    if (ctx.oidc?.params?.grant_type === "refresh_token") stats.tokenCalls++;
    if (error.error === "invalid_grant") stats.invalidGrant++;
  });
  provider.on("grant.revoked", () => {
    stats.revoked++;
  });
  const callback = provider.callback();
  return {
    provider,
    stats,
    /** Handles a request under MOUNT (as a mounted app: the provider sees the path below it). */
    handle(req, res) {
      req.originalUrl = req.url;
      req.url = req.url.slice(MOUNT.length) || "/";
      callback(req, res);
    },
    /** Is the grant of `accessToken` still alive (the token is still accepted)? */
    async accepts(accessToken) {
      const token = await provider.AccessToken.find(accessToken);
      if (!token) return false;
      const grant = await provider.Grant.find(token.grantId);
      return Boolean(grant);
    },
  };
}
