//! The refresh manager: the seed's `CrossProcessRefreshManager`, with
//! in-context turns, the logout rule and notifications. Taking the lock
//! ([`RefreshManager::spin_lock`]) is in `acquire.rs`, the guard in
//! [`super::guard`], the refresh in [`super::flow`].

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::closing::CloseSignal;
use super::exclusion::Turns;
use super::flight::Flight;
use super::{
    CrossContextLock, ErrorKind, HashStore, Notification, NotificationKind, Notifier, RefreshError,
    SessionHash, SessionTokens, StoredState,
};

/// What a context knows of the session: the hash of its tokens, and the
/// stored record it learned them at (for the logout rule).
#[derive(Clone, Debug, Default)]
pub(super) struct Known {
    pub(super) hash: Option<SessionHash>,
    pub(super) learned: StoredState,
}

/// What a manager and its clones share.
#[derive(Default)]
pub(super) struct Shared {
    pub(super) known: RefCell<Known>,
    /// Logouts of this context and logouts of others it found, so that a
    /// guard or a refresh asked for before one cannot bring the known hash
    /// (or the ended session's tokens) back.
    pub(super) logouts: Cell<u64>,
    pub(super) turns: Turns,
    pub(super) flight: Flight,
    pub(super) closing: CloseSignal,
}

/// Coordinates token refreshes of one session across contexts.
///
/// Clones share the known hash, the in-context turns and the refresh in
/// flight, as the seed's manager shares its mutex.
pub struct RefreshManager<L, S, N = ()> {
    pub(super) lock: Rc<L>,
    pub(super) store: Rc<S>,
    pub(super) notifier: Rc<N>,
    pub(super) shared: Rc<Shared>,
}

impl<L, S, N> Clone for RefreshManager<L, S, N> {
    fn clone(&self) -> Self {
        Self {
            lock: self.lock.clone(),
            store: self.store.clone(),
            notifier: self.notifier.clone(),
            shared: self.shared.clone(),
        }
    }
}

impl<L: CrossContextLock, S: HashStore> RefreshManager<L, S> {
    /// A manager that knows no session yet and notifies no one.
    pub fn new(lock: L, store: S) -> Self {
        Self::with_notifier(lock, store, ())
    }
}

impl<L: CrossContextLock, S: HashStore, N: Notifier> RefreshManager<L, S, N> {
    /// A manager that knows no session yet and tells `notifier` of its writes.
    pub fn with_notifier(lock: L, store: S, notifier: N) -> Self {
        Self {
            lock: Rc::new(lock),
            store: Rc::new(store),
            notifier: Rc::new(notifier),
            shared: Rc::default(),
        }
    }

    /// The hash of the tokens this context knows, if any.
    pub fn known_session_hash(&self) -> Option<SessionHash> {
        self.shared.known.borrow().hash.clone()
    }

    /// The lock this manager takes.
    pub fn lock(&self) -> &L {
        &self.lock
    }

    /// The store this manager writes to.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The notifier this manager reports writes to.
    pub fn notifier(&self) -> &N {
        &self.notifier
    }

    /// Does an acquisition of this manager hold its turn (a guard is alive,
    /// or a refresh holds the lock)?
    pub fn is_locked_here(&self) -> bool {
        self.shared.turns.is_held()
    }

    /// Ends every wait for the lock in progress ([`ErrorKind::Closed`]),
    /// and an adoption's pause for the app's storage (unless its refresh
    /// spent the old refresh token); later calls fail the same way. Guards
    /// already held stay held until dropped, and a refresh past the network
    /// call runs to its end ([`after_refresh`](Self::after_refresh)).
    pub fn close(&self) {
        self.shared.closing.close();
    }

    /// Calls `then` once no refresh is in flight: now, or when the one in
    /// flight ends. A refresh past the lock at [`close`](Self::close) runs
    /// to its end (the old refresh token may already be spent, so the new
    /// hash must still be stored, under the lock): closing the store and
    /// the lock waits for it this way.
    pub fn after_refresh(&self, then: impl FnOnce() + 'static) {
        self.shared.flight.after(Box::new(then));
    }

    /// Has [`close`](Self::close) been called?
    pub fn is_closed(&self) -> bool {
        self.shared.closing.is_closed()
    }

    pub(super) fn check_open(&self) -> Result<(), RefreshError> {
        if self.is_closed() {
            Err(ErrorKind::Closed.into())
        } else {
            Ok(())
        }
    }

    /// The stored state as it is now, read without the lock (diagnostics).
    pub fn stored_state(&self) -> impl Future<Output = Result<StoredState, RefreshError>> {
        self.store.load()
    }

    /// Remembers the hash of `tokens` (loaded from the app's storage) in
    /// memory, and the stored record it is learned at: a logout stored
    /// after this makes the next refresh fail with
    /// [`ErrorKind::LoggedOut`]; a logout stored before it does not (a
    /// new login). Writes nothing.
    pub async fn restore_session(&self, tokens: &SessionTokens) -> Result<(), RefreshError> {
        let (hash, load) = self.restoring(tokens)?;
        self.restored(hash, load.await?);
        Ok(())
    }

    /// [`restore_session`](Self::restore_session) in two steps around its
    /// one await, for a caller that awaits the read itself (no async layer
    /// of its own in the .wasm): the hash of `tokens` and the read of the
    /// store, then [`restored`](Self::restored) with what it read.
    pub(crate) fn restoring(
        &self,
        tokens: &SessionTokens,
    ) -> Result<
        (
            SessionHash,
            impl Future<Output = Result<StoredState, RefreshError>>,
        ),
        RefreshError,
    > {
        self.check_open()?;
        Ok((SessionHash::of(tokens), self.store.load()))
    }

    /// Remembers `hash`, learned at `learned`.
    pub(crate) fn restored(&self, hash: SessionHash, learned: StoredState) {
        *self.shared.known.borrow_mut() = Known {
            hash: Some(hash),
            learned,
        };
    }

    /// Replaces the stored hash by a tombstone and forgets the known hash.
    ///
    /// Does not wait for the lock (neither does the seed); the tombstone
    /// changes the record, so a guard held elsewhere fails its next write,
    /// and a guard of this context taken before cannot write or bring the
    /// known hash back.
    pub async fn on_logout(&self) -> Result<(), RefreshError> {
        let written = self.logging_out()?.await?;
        self.logged_out(written);
        Ok(())
    }

    /// [`on_logout`](Self::on_logout) in two steps around its one await, for
    /// a caller that awaits the write itself (no async layer of its own in
    /// the .wasm): the tombstone's write, then [`logged_out`](Self::logged_out)
    /// with what it wrote.
    pub(crate) fn logging_out(
        &self,
    ) -> Result<impl Future<Output = Result<StoredState, RefreshError>>, RefreshError> {
        self.check_open()?;
        Ok(self.store.tombstone())
    }

    /// The tombstone `written` is stored: forgets the known hash and tells
    /// the other contexts.
    pub(crate) fn logged_out(&self, written: StoredState) {
        self.shared.logouts.set(self.shared.logouts.get() + 1);
        *self.shared.known.borrow_mut() = Known {
            hash: None,
            learned: written.clone(),
        };
        self.notifier.notify(&Notification {
            kind: NotificationKind::Logout,
            hash: None,
            generation: written.generation,
        });
    }
}
