//! The refresh lock's logic, free of any browser API.
//!
//! Everything here is plain Rust: it talks to a cross-context lock and to a
//! hash store through the small traits of [`ports`], so it runs (and is tested)
//! on the host with the in-memory fakes of [`memory`] as well as in the browser
//! with the Web Locks and IndexedDB adapters of the `web` layer.

mod acquire;
mod adopt;
pub mod closing;
pub mod error;
pub mod exclusion;
pub mod fence;
pub mod flight;
pub mod flow;
pub mod guard;
pub mod hash;
pub mod lease;
pub mod manager;
pub mod memory;
pub mod notify;
pub mod options;
pub mod ports;
pub mod record;
pub mod text;

pub use error::{Cause, ErrorKind, RefreshError, Remedy};
pub use flow::{RefreshHandlers, RefreshOutcome};
pub use guard::RefreshLockGuard;
pub use hash::{SessionHash, SessionTokens, is_mismatch};
pub use manager::RefreshManager;
pub use notify::{Notification, NotificationKind, Notifier};
pub use ports::{CrossContextLock, HashStore, StoredState, WaitKind};
