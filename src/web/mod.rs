//! Browser adapters for the core's ports: Web Locks, IndexedDB, timers and
//! the global scope. Nothing here decides; it only moves data in and out of
//! the platform and names its failures.

pub mod broadcast;
pub mod global;
pub mod lease;
pub mod locks;
pub mod store;

pub use broadcast::BroadcastNotifier;
pub use lease::{LeaseGuard, LeaseLock};
pub use locks::{LockOptions, WebLockGuard, WebLocks};
pub use store::IdbHashStore;

use crate::core::{CrossContextLock, RefreshError};

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

impl ContextLock {
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

    async fn acquire(&self, options: LockOptions) -> Result<ContextLockGuard, RefreshError> {
        match self {
            Self::WebLocks(lock) => lock.acquire(options).await.map(ContextLockGuard::WebLocks),
            Self::Lease(lock) => lock.acquire(options).await.map(ContextLockGuard::Lease),
        }
    }
}
