// The same real, locked save in every consumer: open a manager, restore,
// take the lock, save, release, and read the stored hash back from a second
// manager. Resolves with a summary; rejects with the library's named error.
export async function lockedSave(CrossTabRefreshManager, where) {
  const session = `consumer-${where}-${Math.random().toString(16).slice(2)}`;
  const first = await CrossTabRefreshManager.open({ session });
  await first.restoreSession({ accessToken: "secret-a0", refreshToken: "secret-r0" });
  const guard = await first.spinLock({ timeoutMs: 5000 });
  await guard.saveInMemoryAndDb({ accessToken: "secret-a1", refreshToken: "secret-r1" });
  guard.release();
  const second = await CrossTabRefreshManager.open({ session });
  const stored = await second.storedState();
  const named = await CrossTabRefreshManager.open({ session: "" }).catch((error) => error.name);
  return {
    where,
    lockKind: first.lockKind,
    saved: stored.dbHash !== null && stored.dbHash === first.knownSessionHash,
    // A hash of the tokens, never the tokens: checked against SHA-256 computed apart.
    hash: first.knownSessionHash,
    generation: stored.generation,
    namedError: named,
  };
}
