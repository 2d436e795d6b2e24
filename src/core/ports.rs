//! What the core needs from the platform: a cross-context lock and a store
//! for the session hash. Futures are not `Send`: browsers run one thread per
//! context, and the host tests use a local executor.
#![allow(async_fn_in_trait)]

use super::{RefreshError, SessionHash};

/// What the store holds for one session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoredState {
    /// The stored hash; `None` if nothing was ever stored or after a logout.
    pub hash: Option<SessionHash>,
    /// Grows by one with every write; 0 if nothing was ever written.
    pub generation: u64,
}

/// A mutual-exclusion lock shared by every context of one session.
pub trait CrossContextLock {
    /// Holding this value holds the lock; dropping it releases the lock.
    type Guard;
    /// How to wait (timeout, abort signal, steal).
    type Options;

    /// Waits for the lock.
    async fn acquire(&self, options: Self::Options) -> Result<Self::Guard, RefreshError>;
}

/// Where the session hash lives, shared by every context of one session.
pub trait HashStore {
    /// Reads the stored state; an unreadable record is an
    /// [`RefreshError::InvalidPreviousHash`].
    async fn load(&self) -> Result<StoredState, RefreshError>;

    /// Atomically: if the stored generation still equals `expected`, writes
    /// `hash` with generation `expected + 1` and returns it; otherwise writes
    /// nothing and fails with [`RefreshError::Fenced`].
    async fn store_if(&self, expected: u64, hash: &SessionHash) -> Result<u64, RefreshError>;

    /// Atomically replaces whatever is stored (even an unreadable record) by a
    /// tombstone: no hash, the next generation. Returns that generation.
    async fn tombstone(&self) -> Result<u64, RefreshError>;
}
