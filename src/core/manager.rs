//! The refresh manager and its lock guard: the seed's
//! `CrossProcessRefreshManager` and `CrossProcessRefreshLockGuard`, with
//! fenced writes and notifications.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::{
    CrossContextLock, HashStore, Notification, NotificationKind, Notifier, RefreshError,
    SessionHash, SessionTokens, StoredState, is_mismatch,
};

/// Coordinates token refreshes of one session across contexts.
///
/// Clones share the known hash, as the seed's manager does.
pub struct RefreshManager<L, S, N = ()> {
    lock: Rc<L>,
    store: Rc<S>,
    notifier: Rc<N>,
    known_session_hash: Rc<RefCell<Option<SessionHash>>>,
}

impl<L, S, N> Clone for RefreshManager<L, S, N> {
    fn clone(&self) -> Self {
        Self {
            lock: self.lock.clone(),
            store: self.store.clone(),
            notifier: self.notifier.clone(),
            known_session_hash: self.known_session_hash.clone(),
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
            known_session_hash: Rc::new(RefCell::new(None)),
        }
    }

    /// The hash of the tokens this context knows, if any.
    pub fn known_session_hash(&self) -> Option<SessionHash> {
        self.known_session_hash.borrow().clone()
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

    /// Waits for the cross-context lock, then reads the stored hash and
    /// compares it with the known one.
    pub async fn spin_lock(
        &self,
        options: L::Options,
    ) -> Result<RefreshLockGuard<L::Guard, S, N>, RefreshError> {
        let lock_guard = self.lock.acquire(options).await?;
        let guard = RefreshLockGuard {
            _lock_guard: lock_guard,
            store: self.store.clone(),
            notifier: self.notifier.clone(),
            known_session_hash: self.known_session_hash.clone(),
            hash_mismatch: Cell::new(false),
            db_hash: RefCell::new(None),
            generation: Cell::new(0),
        };
        guard.reread().await?;
        Ok(guard)
    }

    /// The stored state as it is now, read without the lock (diagnostics).
    pub async fn stored_state(&self) -> Result<StoredState, RefreshError> {
        self.store.load().await
    }

    /// Remembers the hash of `tokens` in memory only (after loading a session).
    pub fn restore_session(&self, tokens: &SessionTokens) {
        *self.known_session_hash.borrow_mut() = Some(SessionHash::of(tokens));
    }

    /// Replaces the stored hash by a tombstone and forgets the known hash.
    ///
    /// Does not wait for the lock (neither does the seed); the tombstone bumps
    /// the generation, so a guard held elsewhere fails its next write.
    pub async fn on_logout(&self) -> Result<(), RefreshError> {
        let generation = self.store.tombstone().await?;
        *self.known_session_hash.borrow_mut() = None;
        self.notifier.notify(&Notification {
            kind: NotificationKind::Logout,
            hash: None,
            generation,
        });
        Ok(())
    }
}

/// Holds the cross-context lock until dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RefreshLockGuard<G, S, N = ()> {
    _lock_guard: G,
    store: Rc<S>,
    notifier: Rc<N>,
    known_session_hash: Rc<RefCell<Option<SessionHash>>>,
    hash_mismatch: Cell<bool>,
    db_hash: RefCell<Option<SessionHash>>,
    generation: Cell<u64>,
}

impl<G, S: HashStore, N: Notifier> RefreshLockGuard<G, S, N> {
    /// Did the store hold a hash other than the known one when it was read?
    /// If so, another context has refreshed the tokens.
    pub fn hash_mismatch(&self) -> bool {
        self.hash_mismatch.get()
    }

    /// The hash the store held when it was read.
    pub fn db_hash(&self) -> Option<SessionHash> {
        self.db_hash.borrow().clone()
    }

    /// The store generation this guard expects to overwrite.
    pub fn generation(&self) -> u64 {
        self.generation.get()
    }

    /// Reads the store again (as `spin_lock` does) and returns the new
    /// `hash_mismatch`. Later writes are fenced against what it read.
    pub async fn reread(&self) -> Result<bool, RefreshError> {
        let stored = self.store.load().await?;
        let mismatch = is_mismatch(
            stored.hash.as_ref(),
            self.known_session_hash.borrow().as_ref(),
        );
        self.hash_mismatch.set(mismatch);
        *self.db_hash.borrow_mut() = stored.hash;
        self.generation.set(stored.generation);
        Ok(mismatch)
    }

    /// After a successful refresh: stores the new tokens' hash (fenced) and
    /// remembers it. On failure nothing changes, in memory or in the store.
    pub async fn save_in_memory_and_db(&self, tokens: &SessionTokens) -> Result<(), RefreshError> {
        let hash = SessionHash::of(tokens);
        self.save_in_database(&hash).await?;
        *self.known_session_hash.borrow_mut() = Some(hash);
        Ok(())
    }

    /// Makes memory and store agree with tokens the caller trusts: remembers
    /// their hash and, if the store holds a different one, overwrites it. With
    /// nothing stored, writes nothing (as the seed).
    pub async fn handle_mismatch(
        &self,
        trusted_tokens: &SessionTokens,
    ) -> Result<(), RefreshError> {
        let new_hash = SessionHash::of(trusted_tokens);
        let stored_differs = self
            .db_hash
            .borrow()
            .as_ref()
            .is_some_and(|db| *db != new_hash);
        if stored_differs {
            self.save_in_database(&new_hash).await?;
        }
        *self.known_session_hash.borrow_mut() = Some(new_hash);
        Ok(())
    }

    async fn save_in_database(&self, hash: &SessionHash) -> Result<(), RefreshError> {
        let generation = self.store.store_if(self.generation.get(), hash).await?;
        self.generation.set(generation);
        *self.db_hash.borrow_mut() = Some(hash.clone());
        self.notifier.notify(&Notification {
            kind: NotificationKind::Refreshed,
            hash: Some(hash.clone()),
            generation,
        });
        Ok(())
    }
}
