// Compiled with `tsc --strict --noEmit` against the packed types: uses the
// whole API, and proves that misuse does not compile.
import init, {
  CrossTabRefreshManager,
  RefreshLockGuard,
  type CrossTabRefreshError,
  type CrossTabRefreshErrorName,
  type ManagerOptions,
  type RefreshHandlers,
  type RefreshResult,
  type SessionEvent,
  type SessionTokens,
  type StoredState,
} from "cross-tab-refresh";

export async function useEverything(): Promise<void> {
  await init();
  const options: ManagerOptions = { session: "@u:example.org|DEV", lockTimeoutMs: 5000, lock: "auto" };
  const manager: CrossTabRefreshManager = await CrossTabRefreshManager.open(options);
  const kind: "web-locks" | "lease" = manager.lockKind;
  const known: string | null = manager.knownSessionHash;
  const session: string = manager.session;
  const tokens: SessionTokens = { accessToken: "a", refreshToken: null };
  await manager.restoreSession(tokens);

  const controller = new AbortController();
  const guard: RefreshLockGuard = await manager.spinLock({ timeoutMs: 100, signal: controller.signal });
  const mismatch: boolean = guard.hashMismatch;
  const dbHash: string | null = guard.dbHash;
  await guard.saveInMemoryAndDb(tokens);
  await guard.handleMismatch({ accessToken: "b" });
  guard.release();
  guard[Symbol.dispose]();
  await manager.spinLock();
  await manager.spinLock({ steal: true });
  // The README says spinLock(null) is spinLock().
  await manager.spinLock(null);

  const handlers: RefreshHandlers = {
    refresh: async () => ({ accessToken: "c", refreshToken: "d" }),
    reload: () => tokens,
    save: async (fresh: SessionTokens) => void fresh,
  };
  const result: RefreshResult = await manager.refresh(handlers);
  const outcome: "refreshed" | "adopted" = result.outcome;
  const unsubscribe: () => void = manager.subscribe((event: SessionEvent) => {
    const type: "refreshed" | "logout" = event.type;
    const hash: string | null = event.dbHash;
    void [type, hash, event.session, event.generation];
  });
  unsubscribe();
  const stored: StoredState = await manager.storedState();
  await manager.onLogout();
  manager.close();
  const name: CrossTabRefreshErrorName = "FencedError";
  void [kind, known, session, mismatch, dbHash, outcome, stored.generation, stored.dbHash, name];
}

/** The tokens a rejection carries, and its name. */
export function tokensOf(error: unknown): [CrossTabRefreshErrorName, SessionTokens | undefined] {
  const named = error as CrossTabRefreshError;
  const message: string = named.message;
  void [message, named.cause];
  return [named.name, named.tokens];
}

export async function misuse(): Promise<void> {
  // @ts-expect-error a missing session
  await CrossTabRefreshManager.open({});
  // @ts-expect-error a number as a token
  await CrossTabRefreshManager.open({ session: "s" }).then((m) => m.restoreSession({ accessToken: 42 }));
  // @ts-expect-error a wrong lock value
  await CrossTabRefreshManager.open({ session: "s", lock: "mutex" });
  // @ts-expect-error steal must be a boolean
  await CrossTabRefreshManager.open({ session: "s" }).then((m) => m.spinLock({ steal: "no" }));
  // @ts-expect-error there is no public constructor
  new CrossTabRefreshManager();
  // @ts-expect-error refresh needs a reload callback
  await CrossTabRefreshManager.open({ session: "s" }).then((m) => m.refresh({ refresh: async () => ({ accessToken: "a" }) }));
  // @ts-expect-error knownSessionHash is read-only
  (await CrossTabRefreshManager.open({ session: "s" })).knownSessionHash = "0x00";
  // @ts-expect-error not an error name of this library
  const notOurs: CrossTabRefreshError["name"] = "OopsError";
  void notOurs;
}
