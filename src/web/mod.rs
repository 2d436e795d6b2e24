//! Browser adapters for the core's ports: Web Locks, IndexedDB, timers and
//! the global scope. Nothing here decides; it only moves data in and out of
//! the platform and names its failures.

pub mod broadcast;
pub mod global;
pub mod locks;
pub mod store;

pub use broadcast::BroadcastNotifier;
pub use locks::{WebLockGuard, WebLockOptions, WebLocks};
pub use store::IdbHashStore;
