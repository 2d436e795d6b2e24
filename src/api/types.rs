//! The TypeScript types of the options, tokens and results the API takes
//! and returns (the classes' own types come from wasm-bindgen).

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** An access token and, if the server issued one, a refresh token. */
export interface SessionTokens {
  accessToken: string;
  refreshToken?: string | null;
}

/** Options of `CrossTabRefreshManager.open`. */
export interface ManagerOptions {
  /** Which session; every context of one session uses the same value (e.g. user ID + device ID). */
  session: string;
  /** This context's name in diagnostics; default random. */
  holder?: string;
  /** Default wait of `spinLock` and `refresh`, in milliseconds; default 60000. */
  lockTimeoutMs?: number;
  /** IndexedDB database name; default "cross-tab-refresh". */
  databaseName?: string;
  /** Which lock to use; default "auto": Web Locks where present, else the IndexedDB lease lock. */
  lock?: "auto" | "web-locks" | "lease";
  /** Lease length of the lease lock, in milliseconds; default 20000, from 100 to 600000. */
  leaseMs?: number;
}

/** What `subscribe` listeners receive when another context changes the session. */
export interface SessionEvent {
  type: "refreshed" | "logout";
  session: string;
  /** The stored hash now (seed hex form), or null after a logout. */
  dbHash: string | null;
  /** The stored generation now. */
  generation: number;
}

/** The stored record of a session, as `storedState()` reads it. */
export interface StoredState {
  /** The stored hash (seed hex form), or null when nothing is stored or after a logout. */
  dbHash: string | null;
  /** Grows by one with every write; 0 when nothing was ever written. */
  generation: number;
}

/** What `lockState()` can tell of the session's lock. */
export interface LockState {
  kind: "web-locks" | "lease";
  /** Someone holds the lock. */
  held: boolean;
  /** This manager holds it (through a guard or a refresh in flight). With
   * Web Locks it counts the grants not yet released: a lock another context
   * stole still counts until its guard is released. */
  heldByThisManager: boolean;
  /** Requests waiting for it (Web Locks), or null where the platform cannot tell (lease). */
  waiting: number | null;
  /** Who holds it: Web Locks client IDs, or the lease holder's name with a random suffix (`<holder>-<n>`). */
  holders: string[];
  /** When the lease expires (ms since the epoch), or null. */
  expiresAt: number | null;
}

/** Options of `spinLock`. */
export interface SpinLockOptions {
  /** How long to wait, in milliseconds; 0 takes the lock only if it is free now. */
  timeoutMs?: number;
  /** Aborts the wait with an `AbortError`. */
  signal?: AbortSignal;
  /** Take the lock from its holder at once (its later writes are fenced); not with `timeoutMs` or `signal`. */
  steal?: boolean;
}
"#;
