// oauth4webapi's refresh-token grant, run once across every tab and worker.
//
// oauth4webapi leaves storage and timing to the app; the app calls
// `refresh()` when its access token expires, in any context. One context
// sends the grant; the others adopt its tokens (no second grant, so a server
// that revokes on refresh-token reuse never sees one).
import * as oauth from "oauth4webapi";

/**
 * `manager`: a CrossTabRefreshManager of this session; `as`, `client`: the
 * oauth4webapi authorization server and client; `storage`: the app's
 * `{ load(), save(tokens) }` (localStorage, say); `options`: passed to
 * oauth4webapi's requests.
 */
export function coordinatedRefresh({ manager, as, client, storage, options }) {
  return async function refresh() {
    const { tokens } = await manager.refresh({
      refresh: async () => {
        const current = storage.load();
        const response = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), current.refreshToken, options);
        const result = await oauth.processRefreshTokenResponse(as, client, response);
        return {
          accessToken: result.access_token,
          refreshToken: result.refresh_token ?? current.refreshToken,
          expiresIn: result.expires_in,
        };
      },
      reload: () => storage.load(),
      save: (fresh) => storage.save(fresh),
    });
    return tokens;
  };
}
