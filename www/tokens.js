// The demo app's own token handling: the authorization server and
// localStorage. The library never sees where tokens live; it only
// coordinates. The server is oidc-provider (a login with the authorization
// code flow and PKCE, then refresh-token grants) or the mock (for faults);
// /config.json says which.
export const STORAGE_KEY = "demo.tokens";
const PKCE_KEY = "demo.pkce";

// No top-level await: a module worker importing this must set its message
// handler before any message arrives.
let config = { server: "mock", tokenEndpoint: "/oauth/token", revocationEndpoint: "/oauth/revoke" };
/** Resolves once /config.json is read. */
export const configured = fetch("/config.json")
  .then((r) => r.json())
  .then((read) => {
    config = read;
  })
  .catch(() => {});
/** "oidc" or "mock" (after `configured`). */
export const serverKind = () => config.server;
/** Where a bearer token is checked: the provider's userinfo endpoint, or the mock's. */
export const userinfoEndpoint = () => config.userinfoEndpoint ?? "/api/whoami";

export function loadTokens() {
  const raw = localStorage.getItem(STORAGE_KEY);
  return raw ? JSON.parse(raw) : null;
}

export function storeTokens(tokens) {
  localStorage.setItem(STORAGE_KEY, JSON.stringify({ accessToken: tokens.accessToken, refreshToken: tokens.refreshToken }));
}

export function clearTokens() {
  localStorage.removeItem(STORAGE_KEY);
}

/** Removes `ended` (tokens of a logged-out session) if the storage still holds them. */
export function discardEnded(ended) {
  const stored = loadTokens();
  if (stored && stored.accessToken === ended.accessToken && stored.refreshToken === ended.refreshToken) clearTokens();
}

async function post(path, form) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(`${path}: ${body.error ?? response.status}${body.error_description ? ` (${body.error_description})` : ""}`);
    error.oauthError = body.error;
    throw error;
  }
  return body;
}

const fromOAuth = (body) => ({ accessToken: body.access_token, refreshToken: body.refresh_token });
const client = () => (config.clientId ? { client_id: config.clientId } : {});

/** The refresh-token grant (works once per refresh token). */
export async function refreshGrant(refreshToken) {
  await configured;
  return fromOAuth(await post(config.tokenEndpoint, { grant_type: "refresh_token", refresh_token: refreshToken, ...client() }));
}

const base64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const random = (n) => base64url(crypto.getRandomValues(new Uint8Array(n)));

/**
 * Logs in. With the mock: a new token family at once. With oidc-provider:
 * goes to its login page (the promise never settles; the page comes back
 * with a code, which `completeLogin()` exchanges).
 */
export async function login() {
  await configured;
  if (config.server !== "oidc") return fromOAuth(await post("/oauth/session", {}));
  const verifier = random(32);
  const state = random(16);
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, search: location.search }));
  const query = new URLSearchParams({
    client_id: config.clientId,
    response_type: "code",
    scope: "openid",
    redirect_uri: config.redirectUri,
    code_challenge: challenge,
    code_challenge_method: "S256",
    state,
  });
  location.assign(`${config.authorizationEndpoint}?${query}`);
  return new Promise(() => {});
}

/** The page's own query, also on its way back from the login (?code=…). */
export function pageQuery() {
  const params = new URLSearchParams(location.search);
  if (!params.has("code")) return params;
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) ?? "null");
  return new URLSearchParams(saved?.search ?? "");
}

/** On a page that came back from the login with a code: the tokens; else null. */
export async function completeLogin() {
  await configured;
  const params = new URLSearchParams(location.search);
  if (config.server !== "oidc" || !params.has("code")) return null;
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) ?? "null");
  sessionStorage.removeItem(PKCE_KEY);
  history.replaceState(null, "", `/${saved?.search ?? ""}`);
  if (!saved || saved.state !== params.get("state")) throw new Error("login: the state does not match");
  return fromOAuth(
    await post(config.tokenEndpoint, {
      grant_type: "authorization_code",
      code: params.get("code"),
      redirect_uri: config.redirectUri,
      code_verifier: saved.verifier,
      ...client(),
    }),
  );
}

export async function revoke(token) {
  await configured;
  await post(config.revocationEndpoint, { token, ...client() });
}
