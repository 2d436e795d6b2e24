// matrix-js-sdk + cross-tab-refresh: every token refresh of the SDK, in any
// tab or worker, goes through `manager.refresh`, so a rotating refresh token
// is spent exactly once across all of them.
//
// matrix-js-sdk (43) builds its `TokenRefresher` inside its `TokenManager`,
// where an app cannot pass its own: the smallest wrapper that works is to
// wrap `TokenRefresher.prototype.refreshTokens` once per page or worker.
import { TokenRefresher } from "matrix-js-sdk/lib/oauth/tokenRefresher.js";

/**
 * @param manager a `CrossTabRefreshManager` of this session
 * @param storage where the app keeps its tokens: `{ load(), save(tokens) }`
 */
export function coordinateTokenRefresh(manager, storage) {
  const refreshOnce = TokenRefresher.prototype.refreshTokens;
  TokenRefresher.prototype.refreshTokens = async function (refreshToken) {
    const { tokens } = await manager.refresh({
      // The SDK's own network refresh, with the newest refresh token the app holds.
      refresh: () => refreshOnce.call(this, storage.load()?.refreshToken ?? refreshToken),
      // Another context refreshed: take its tokens, no network call.
      reload: () => storage.load(),
      save: (fresh) => storage.save(fresh),
    });
    return { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiry: tokens.expiry };
  };
}
