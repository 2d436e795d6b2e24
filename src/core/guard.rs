//! The lock guard: the seed's `CrossProcessRefreshLockGuard`, with fenced
//! writes and the logout rule.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::exclusion::Turn;
use super::fence::{ended_since, logged_out_since};
use super::manager::{Known, Shared};
use super::{
    ErrorKind, HashStore, Notification, NotificationKind, Notifier, RefreshError, SessionHash,
    SessionTokens, StoredState, is_mismatch,
};

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
    /// The store's logout count at this guard's first read.
    first_count: Cell<u32>,
    hash_mismatch: Cell<bool>,
    logged_out: Cell<bool>,
    read: RefCell<StoredState>,
}

impl<G, S, N> RefreshLockGuard<G, S, N> {
    /// A guard holding `lock_guard` and `turn`, before its first read, for
    /// a caller that asked for the lock when this context had logged out, or
    /// found a logout, `logouts_at` times.
    pub(super) fn new(
        lock_guard: G,
        turn: Turn,
        store: Rc<S>,
        notifier: Rc<N>,
        shared: Rc<Shared>,
        logouts_at: u64,
    ) -> Self {
        Self {
            _lock_guard: lock_guard,
            _turn: turn,
            store,
            notifier,
            logouts_at,
            shared,
            first_count: Cell::new(0),
            hash_mismatch: Cell::new(false),
            logged_out: Cell::new(false),
            read: RefCell::new(StoredState::default()),
        }
    }
}

impl<G, S: HashStore, N: Notifier> RefreshLockGuard<G, S, N> {
    /// Did the store hold a hash other than the known one when it was read?
    /// If so, another context has refreshed the tokens (or, with
    /// [`logged_out`](Self::logged_out), logged out).
    pub fn hash_mismatch(&self) -> bool {
        self.hash_mismatch.get()
    }

    /// Did the read find that another context logged out after this one
    /// learned its tokens ([`logged_out_since`]; the known hash is then
    /// forgotten), or has this context logged out, or found a logout, since
    /// the lock was asked for? Then this guard's writes fail with
    /// [`ErrorKind::LoggedOut`].
    pub fn logged_out(&self) -> bool {
        self.logged_out.get() || self.shared.logouts.get() != self.logouts_at
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
        let stored = self.load().await?;
        Ok(self.compare(stored))
    }

    /// The store's state now, for [`compare`](Self::compare): what
    /// [`reread`](Self::reread) does, for callers that await the read
    /// themselves (no async layer of its own in the .wasm).
    pub(super) fn load(&self) -> impl Future<Output = Result<StoredState, RefreshError>> {
        self.store.load()
    }

    /// The first read, right after the grant ([`HashStore::load_at_grant`]),
    /// for the acquisition to await and hand to [`took_first`](Self::took_first)
    /// (not an `async fn`: one async layer fewer in the .wasm).
    pub(super) fn first_read(&self) -> impl Future<Output = Result<StoredState, RefreshError>> {
        self.store.load_at_grant()
    }

    /// Takes `stored`, the first read, as what this guard read.
    pub(super) fn took_first(&self, stored: StoredState) {
        self.first_count.set(stored.logouts);
        self.compare(stored);
    }

    /// Takes `stored` as what this guard read; returns `hash_mismatch`.
    pub(super) fn compare(&self, stored: StoredState) -> bool {
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
            // Found here, the logout ends what this context asked for
            // before, as its own does: a refresh still waiting may not
            // adopt the ended session's tokens over a new login.
            self.shared.logouts.set(self.shared.logouts.get() + 1);
        }
        self.logged_out.set(self.logged_out.get() || logged_out);
        self.hash_mismatch.set(mismatch);
        *self.read.borrow_mut() = stored;
        mismatch
    }

    /// After a successful refresh: stores the new tokens' hash (fenced) and
    /// remembers it. On failure nothing changes, in memory or in the store.
    /// After a logout ([`logged_out`](Self::logged_out), or one followed by
    /// a new login that this context's tokens predate), fails with
    /// [`ErrorKind::LoggedOut`].
    pub async fn save_in_memory_and_db(&self, tokens: &SessionTokens) -> Result<(), RefreshError> {
        let hash = SessionHash::of(tokens);
        self.check_may_write(&hash)?;
        let read = self.read.borrow().clone();
        let written = self.store.store_if(&read, &hash).await?;
        let written = self.wrote(&hash, written);
        self.remember(Some(hash), written)
    }

    /// Makes memory and store agree with tokens the caller trusts: remembers
    /// their hash and, if the store holds a different one, overwrites it. With
    /// nothing stored, writes nothing (as the seed). Tokens whose hash is the
    /// one this context already knew, while the store holds one another
    /// context wrote since this context learned them, are not trusted: they
    /// come from app storage that has not caught up, and writing their hash
    /// back would undo that context's refresh ([`ErrorKind::StaleTokens`],
    /// nothing written). After a logout followed by a new login that this
    /// context's tokens predate, only the stored hash is taken; any other
    /// fails with [`ErrorKind::LoggedOut`].
    pub async fn handle_mismatch(
        &self,
        trusted_tokens: &SessionTokens,
    ) -> Result<(), RefreshError> {
        let new_hash = SessionHash::of(trusted_tokens);
        self.check_may_write(&new_hash)?;
        let read = self.read.borrow().clone();
        // Tokens this context already knew, while the store holds another
        // hash that another context wrote since it learned them: its app
        // storage is behind.
        let stale = {
            let known = self.shared.known.borrow();
            read.hash.as_ref().is_some_and(|db| *db != new_hash)
                && known.hash.as_ref() == Some(&new_hash)
                && read != known.learned
        };
        if stale {
            return Err(ErrorKind::StaleTokens.into());
        }
        let learned = match &read.hash {
            Some(db) if *db != new_hash => {
                let written = self.store.store_if(&read, &new_hash).await?;
                self.wrote(&new_hash, written)
            }
            _ => read,
        };
        self.remember(Some(new_hash), learned)
    }

    /// May this guard write `hash`? Not after a logout it found, or one this
    /// context made or found since the lock was asked for; nor, after a
    /// logout and a new login since this context learned its tokens or since
    /// this guard's first read ([`ended_since`]), any hash but the one the
    /// store holds: another is most likely the ended session's, and writing
    /// it would undo that logout.
    fn check_may_write(&self, hash: &SessionHash) -> Result<(), RefreshError> {
        self.check_not_logged_out()?;
        let known = self.shared.known.borrow();
        let read = self.read.borrow();
        let known_at = known.hash.is_some().then_some(known.learned.logouts);
        if (ended_since(&read, known_at) || ended_since(&read, Some(self.first_count.get())))
            && read.hash.as_ref() != Some(hash)
        {
            return Err(ErrorKind::LoggedOut.into());
        }
        Ok(())
    }

    fn check_not_logged_out(&self) -> Result<(), RefreshError> {
        if self.logged_out() {
            Err(ErrorKind::LoggedOut.into())
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

    /// `hash` was stored over what this guard read, as `written`: it is
    /// what the guard read now, and the other contexts hear of it. (The
    /// callers await the store's write themselves: no async layer of its
    /// own.)
    fn wrote(&self, hash: &SessionHash, written: StoredState) -> StoredState {
        *self.read.borrow_mut() = written.clone();
        self.notifier.notify(&Notification {
            kind: NotificationKind::Refreshed,
            hash: Some(hash.clone()),
            generation: written.generation,
        });
        written
    }
}
