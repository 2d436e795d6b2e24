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
    /// How many logouts the store has seen (wrapping after 2^32 − 1): every
    /// logout adds one, every other write carries it on. A context that learned its tokens at
    /// another count knows that a logout came since, even after a new login.
    pub logouts: u32,
}

/// A mutual-exclusion lock shared by every context of one session.
///
/// The core adds what the seed's intra-process mutex gives: two acquisitions
/// of one manager (and its clones) never hold at once, whatever the lock
/// does within one context. An implementation must make dropping an
/// [`acquire`](Self::acquire) future safe: nothing stays queued, and a lock
/// granted after the drop is released at once.
pub trait CrossContextLock {
    /// Holding this value holds the lock; dropping it releases the lock.
    type Guard;
    /// How to wait (timeout, abort signal, steal).
    type Options: Clone;

    /// Waits for the lock.
    async fn acquire(&self, options: Self::Options) -> Result<Self::Guard, RefreshError>;

    /// How `options` wait, for the core's in-context queue.
    fn wait_kind(options: &Self::Options) -> WaitKind;

    /// Resolves, with the error to report, when a wait with `options` must
    /// end: its timeout elapsed or its signal aborted. Never resolves for a
    /// wait without either. The core races the whole wait (its own queue,
    /// then [`acquire`](Self::acquire)) against it.
    async fn give_up(&self, options: &Self::Options) -> RefreshError;

    /// Resolves after about `ms` milliseconds: a pause, with the lock
    /// held, before trying again something another context is finishing.
    /// By default it only lets other tasks run once.
    async fn pause(&self, ms: u32) {
        let _ = ms;
        let mut yielded = false;
        std::future::poll_fn(|cx| {
            if std::mem::replace(&mut yielded, true) {
                std::task::Poll::Ready(())
            } else {
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            }
        })
        .await;
    }
}

/// How an acquisition waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitKind {
    /// Wait in line.
    Queue,
    /// Only if the lock is free right now, else a timeout of 0 ms.
    IfFree,
    /// Take the lock from whoever holds it.
    Steal,
}

/// Where the session hash lives, shared by every context of one session.
pub trait HashStore {
    /// Reads the stored state; an unreadable record is an
    /// [`ErrorKind::InvalidPreviousHash`](super::ErrorKind::InvalidPreviousHash).
    async fn load(&self) -> Result<StoredState, RefreshError>;

    /// [`load`](Self::load), as the first read of a lock just granted: a
    /// store may serve it from a read started at the grant (and only it).
    async fn load_at_grant(&self) -> Result<StoredState, RefreshError> {
        self.load().await
    }

    /// Atomically: if the store still holds `read`, writes `hash` with the
    /// next generation and `read`'s logout count (carried on: the logout
    /// rule after a new login needs it) and returns what it wrote;
    /// otherwise writes nothing and fails with
    /// [`ErrorKind::Fenced`](super::ErrorKind::Fenced)
    /// ([`fence`](super::fence::fence)).
    async fn store_if(
        &self,
        read: &StoredState,
        hash: &SessionHash,
    ) -> Result<StoredState, RefreshError>;

    /// Atomically replaces whatever is stored (even an unreadable record) by a
    /// tombstone: no hash, the generation of
    /// [`tombstone_generation`](super::fence::tombstone_generation) and the
    /// logout count of [`tombstone_logouts`](super::fence::tombstone_logouts).
    /// Returns it.
    async fn tombstone(&self) -> Result<StoredState, RefreshError>;
}
