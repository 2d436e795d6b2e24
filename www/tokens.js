// The demo app's own token handling: the token endpoint and localStorage.
// The library never sees where tokens live; it only coordinates.
export const STORAGE_KEY = "demo.tokens";

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

async function post(path, form) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(`${path}: ${body.error ?? response.status}`);
    error.oauthError = body.error;
    throw error;
  }
  return body;
}

const fromOAuth = (body) => ({ accessToken: body.access_token, refreshToken: body.refresh_token });

/** The refresh-token grant (works once per refresh token). */
export async function refreshGrant(refreshToken) {
  return fromOAuth(await post("/oauth/token", { grant_type: "refresh_token", refresh_token: refreshToken }));
}

/** Demo login: a new token family. */
export async function login() {
  return fromOAuth(await post("/oauth/session", {}));
}

export async function revoke(token) {
  await post("/oauth/revoke", { token });
}
