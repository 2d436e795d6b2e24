// oidc-client-ts's UserManager, refreshing once across every tab and worker.
//
// UserManager.signinSilent() uses the refresh token when the user has one
// (and automaticSilentRenew calls it before expiry), in every tab on its own:
// with rotating refresh tokens all but one send a spent token. Wrapped, one
// context runs the refresh grant (which stores the new user in the
// UserManager's userStore, localStorage here); the others reload that user.
/**
 * `manager`: a CrossTabRefreshManager of this session; `userManager`: the
 * app's UserManager, with a `userStore` shared by its tabs
 * (`new WebStorageStateStore({ store: localStorage })`).
 */
export function coordinateSilentRenew(manager, userManager) {
  const renewOnce = userManager.signinSilent.bind(userManager);
  const tokensOf = (user) => {
    if (!user) throw new Error("no user is signed in");
    return { accessToken: user.access_token, refreshToken: user.refresh_token ?? null, user };
  };
  userManager.signinSilent = async (args) => {
    const { tokens } = await manager.refresh({
      // The refresh grant; UserManager stores the new user itself.
      refresh: async () => tokensOf(await renewOnce(args)),
      reload: async () => tokensOf(await userManager.getUser()),
    });
    return tokens.user;
  };
}
