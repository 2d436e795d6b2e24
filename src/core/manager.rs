//! The refresh manager and its lock guard: the seed's
//! `CrossProcessRefreshManager` and `CrossProcessRefreshLockGuard`, with
//! in-context turns, fenced writes, the logout rule and notifications.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::closing::{CloseSignal, first};
use super::exclusion::{Turn, Turns};
use super::fence::logged_out_since;
use super::flight::Flight;
use super::{
    CrossContextLock, HashStore, Notification, NotificationKind, Notifier, RefreshError,
    SessionHash, SessionTokens, StoredState, WaitKind, is_mismatch,
};

/// What a context knows of the session: the hash of its tokens, and the
/// stored record it learned them at (for the logout rule).
#[derive(Clone, Debug, Default)]
struct Known {
    hash: Option<SessionHash>,
    learned: StoredState,
}

/// What a manager and its clones share.
#[derive(Default)]
pub(super) struct Shared {
    known: RefCell<Known>,
    /// Logouts of this context, so that a guard taken before one cannot
    /// bring the known hash back.
    logouts: Cell<u64>,
    turns: Turns,
    pub(super) flight: Flight,
    closing: CloseSignal,
}

/// Coordinates token refreshes of one session across contexts.
///
/// Clones share the known hash, the in-context turns and the refresh in
/// flight, as the seed's manager shares its mutex.
pub struct RefreshManager<L, S, N = ()> {
    lock: Rc<L>,
    store: Rc<S>,
    notifier: Rc<N>,
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

    /// Ends every wait for the lock in progress ([`RefreshError::Closed`]);
    /// later calls fail the same way. Guards already held stay held until
    /// dropped.
    pub fn close(&self) {
        self.shared.closing.close();
    }

    /// Has [`close`](Self::close) been called?
    pub fn is_closed(&self) -> bool {
        self.shared.closing.is_closed()
    }

    pub(super) fn check_open(&self) -> Result<(), RefreshError> {
        if self.is_closed() {
            Err(RefreshError::Closed)
        } else {
            Ok(())
        }
    }

    /// Waits for this manager's turn and then the cross-context lock, then
    /// reads the stored hash and compares it with the known one.
    ///
    /// The whole wait is bounded by the options' timeout and signal, and
    /// ends with [`RefreshError::Closed`] on [`close`](Self::close).
    /// Dropping the future leaves nothing queued or held.
    pub async fn spin_lock(
        &self,
        options: L::Options,
    ) -> Result<RefreshLockGuard<L::Guard, S, N>, RefreshError> {
        self.check_open()?;
        let kind = L::wait_kind(&options);
        if kind != WaitKind::Steal && self.shared.flight.inside_handler() {
            // A refresh handler waiting for the lock its refresh holds.
            return Err(RefreshError::Reentrant);
        }
        let wait = async {
            let turn = match kind {
                WaitKind::Steal => self.shared.turns.steal(),
                WaitKind::IfFree => self
                    .shared
                    .turns
                    .try_take()
                    .ok_or(RefreshError::LockTimeout { timeout_ms: 0 })?,
                WaitKind::Queue => self.shared.turns.wait().await,
            };
            let lock_guard = self.lock.acquire(options.clone()).await?;
            Ok((turn, lock_guard))
        };
        let give_up = async { Err(self.lock.give_up(&options).await) };
        let closed = async {
            self.shared.closing.closed().await;
            Err(RefreshError::Closed)
        };
        let (turn, lock_guard) = first(first(wait, give_up), closed).await?;
        let guard = RefreshLockGuard {
            _lock_guard: lock_guard,
            _turn: turn,
            store: self.store.clone(),
            notifier: self.notifier.clone(),
            shared: self.shared.clone(),
            logouts_at: self.shared.logouts.get(),
            hash_mismatch: Cell::new(false),
            logged_out: Cell::new(false),
            read: RefCell::new(StoredState::default()),
        };
        guard.reread().await?;
        self.check_open()?;
        Ok(guard)
    }

    /// The stored state as it is now, read without the lock (diagnostics).
    pub async fn stored_state(&self) -> Result<StoredState, RefreshError> {
        self.store.load().await
    }

    /// Remembers the hash of `tokens` (loaded from the app's storage) in
    /// memory, and the stored record it is learned at: a logout stored
    /// after this makes the next refresh fail with
    /// [`RefreshError::LoggedOut`]; a logout stored before it does not (a
    /// new login). Writes nothing.
    pub async fn restore_session(&self, tokens: &SessionTokens) -> Result<(), RefreshError> {
        self.check_open()?;
        let hash = SessionHash::of(tokens);
        let learned = self.store.load().await?;
        *self.shared.known.borrow_mut() = Known {
            hash: Some(hash),
            learned,
        };
        Ok(())
    }

    /// Replaces the stored hash by a tombstone and forgets the known hash.
    ///
    /// Does not wait for the lock (neither does the seed); the tombstone
    /// changes the record, so a guard held elsewhere fails its next write,
    /// and a guard of this context taken before cannot write or bring the
    /// known hash back.
    pub async fn on_logout(&self) -> Result<(), RefreshError> {
        self.check_open()?;
        let written = self.store.tombstone().await?;
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
        Ok(())
    }
}

/// Holds this manager's turn and the cross-context lock until dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RefreshLockGuard<G, S, N = ()> {
    // Field order is drop order: the cross-context lock goes first, then the
    // turn passes to the next acquisition of this context.
    _lock_guard: G,
    _turn: Turn,
    store: Rc<S>,
    notifier: Rc<N>,
    shared: Rc<Shared>,
    logouts_at: u64,
    hash_mismatch: Cell<bool>,
    logged_out: Cell<bool>,
    read: RefCell<StoredState>,
}

impl<G, S: HashStore, N: Notifier> RefreshLockGuard<G, S, N> {
    /// Did the store hold a hash other than the known one when it was read?
    /// If so, another context has refreshed the tokens (or, with
    /// [`logged_out`](Self::logged_out), logged out).
    pub fn hash_mismatch(&self) -> bool {
        self.hash_mismatch.get()
    }

    /// Did the read find that another context logged out after this one
    /// learned its tokens ([`logged_out_since`])? The known hash is then
    /// forgotten, and this guard's writes fail with
    /// [`RefreshError::LoggedOut`].
    pub fn logged_out(&self) -> bool {
        self.logged_out.get()
    }

    /// The hash the store held when it was read.
    pub fn db_hash(&self) -> Option<SessionHash> {
        self.read.borrow().hash.clone()
    }

    /// The store generation this guard expects to overwrite.
    pub fn generation(&self) -> u64 {
        self.read.borrow().generation
    }

    /// Reads the store again (as `spin_lock` does) and returns the new
    /// `hash_mismatch`. Later writes are fenced against what it read.
    pub async fn reread(&self) -> Result<bool, RefreshError> {
        let stored = self.store.load().await?;
        let mut known = self.shared.known.borrow_mut();
        let logged_out = logged_out_since(&stored, &known.learned, known.hash.is_some());
        // A logout elsewhere is a change by another context too: the seed's
        // flow then reloads instead of refreshing with spent tokens.
        let mismatch = logged_out || is_mismatch(stored.hash.as_ref(), known.hash.as_ref());
        if logged_out {
            *known = Known {
                hash: None,
                learned: stored.clone(),
            };
        }
        self.logged_out.set(self.logged_out.get() || logged_out);
        self.hash_mismatch.set(mismatch);
        *self.read.borrow_mut() = stored;
        Ok(mismatch)
    }

    /// After a successful refresh: stores the new tokens' hash (fenced) and
    /// remembers it. On failure nothing changes, in memory or in the store.
    pub async fn save_in_memory_and_db(&self, tokens: &SessionTokens) -> Result<(), RefreshError> {
        self.check_not_logged_out()?;
        let hash = SessionHash::of(tokens);
        let written = self.save_in_database(&hash).await?;
        self.remember(Some(hash), written)
    }

    /// Makes memory and store agree with tokens the caller trusts: remembers
    /// their hash and, if the store holds a different one, overwrites it. With
    /// nothing stored, writes nothing (as the seed).
    pub async fn handle_mismatch(
        &self,
        trusted_tokens: &SessionTokens,
    ) -> Result<(), RefreshError> {
        self.check_not_logged_out()?;
        let new_hash = SessionHash::of(trusted_tokens);
        let read = self.read.borrow().clone();
        let learned = match &read.hash {
            Some(db) if *db != new_hash => self.save_in_database(&new_hash).await?,
            _ => read,
        };
        self.remember(Some(new_hash), learned)
    }

    fn check_not_logged_out(&self) -> Result<(), RefreshError> {
        if self.logged_out.get() || self.shared.logouts.get() != self.logouts_at {
            Err(RefreshError::LoggedOut)
        } else {
            Ok(())
        }
    }

    fn remember(
        &self,
        hash: Option<SessionHash>,
        learned: StoredState,
    ) -> Result<(), RefreshError> {
        // A logout of this context while the write was in flight wins.
        self.check_not_logged_out()?;
        *self.shared.known.borrow_mut() = Known { hash, learned };
        Ok(())
    }

    async fn save_in_database(&self, hash: &SessionHash) -> Result<StoredState, RefreshError> {
        let read = self.read.borrow().clone();
        let written = self.store.store_if(&read, hash).await?;
        *self.read.borrow_mut() = written.clone();
        self.notifier.notify(&Notification {
            kind: NotificationKind::Refreshed,
            hash: Some(hash.clone()),
            generation: written.generation,
        });
        Ok(written)
    }
}
