//! Browser adapters for the core's ports: the two cross-context locks (Web
//! Locks, and the IndexedDB lease lock), the IndexedDB hash store,
//! BroadcastChannel notifications, timers and the global scope, plus
//! [`open_session`] that puts them together for Rust callers. Nothing here
//! decides; it only moves data in and out of the platform and names its
//! failures.

pub mod broadcast;
pub mod global;
pub mod idb;
pub mod lease;
mod lease_held;
pub mod lease_record;
pub mod locks;
mod read_ahead;
mod record_fields;
mod record_io;
pub mod session;
pub mod store;
pub mod task;
pub mod wait;

pub use broadcast::BroadcastNotifier;
pub use lease::LeaseLock;
pub use lease_held::LeaseGuard;
pub use locks::{WebLockGuard, WebLocks};
pub use session::{
    LockChoice, SessionConfig, WebRefreshManager, close_session, new_session, open_session,
};
pub use store::IdbHashStore;
pub use wait::LockOptions;

use crate::core::{CrossContextLock, RefreshError, WaitKind};

/// The lock a manager uses: Web Locks where present, else the lease lock.
pub enum ContextLock {
    /// `navigator.locks`.
    WebLocks(WebLocks),
    /// A lease in IndexedDB.
    Lease(LeaseLock),
}

/// Holds a [`ContextLock`] until dropped.
pub enum ContextLockGuard {
    /// A held Web Lock.
    WebLocks(WebLockGuard),
    /// A held lease.
    Lease(LeaseGuard),
}

/// What can be told of a session's lock right now.
#[derive(Clone, Debug)]
pub struct LockState {
    /// Someone holds it.
    pub held: bool,
    /// This manager holds it.
    pub held_here: bool,
    /// How many requests wait for it, where the platform can tell.
    pub waiting: Option<u32>,
    /// Who holds it: Web Locks client IDs, or the lease holder's name (an
    /// array of strings, as `lockState()` hands it on).
    pub holders: js_sys::Array,
    /// When the lease expires (ms since the epoch), for the lease lock.
    pub expires_at: Option<f64>,
}

impl ContextLock {
    /// The lock's state, as far as the platform can tell. (`lockState()`
    /// awaits each lock's own future itself: one async layer fewer in the
    /// .wasm.)
    pub async fn state(&self) -> Result<LockState, RefreshError> {
        match self {
            Self::WebLocks(lock) => lock.state().await,
            Self::Lease(lock) => lock.state().await,
        }
    }

    /// Ends this lock's own work: the lease lock stops renewing and gives
    /// its leases back. Then the connection is closed (for Web Locks at
    /// once). Nothing reopens it.
    pub fn close(&self, connection: &idb::Connection) {
        match self {
            Self::WebLocks(_) => connection.close(),
            Self::Lease(lock) => lock.close(),
        }
    }

    /// `"web-locks"` or `"lease"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::WebLocks(_) => "web-locks",
            Self::Lease(_) => "lease",
        }
    }
}

impl CrossContextLock for ContextLock {
    type Guard = ContextLockGuard;
    type Options = LockOptions;

    fn wait_kind(options: &LockOptions) -> WaitKind {
        wait::wait_kind(options)
    }

    fn give_up(&self, options: &LockOptions) -> impl Future<Output = RefreshError> {
        wait::give_up(options)
    }

    fn pause(&self, ms: u32) -> impl Future<Output = ()> {
        wait::sleep(ms)
    }

    async fn acquire(&self, options: LockOptions) -> Result<ContextLockGuard, RefreshError> {
        match self {
            Self::WebLocks(lock) => lock.acquire(options).await.map(ContextLockGuard::WebLocks),
            Self::Lease(lock) => lock.acquire(options).await.map(ContextLockGuard::Lease),
        }
    }
}
