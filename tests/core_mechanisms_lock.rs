//! The manager's lock on the host: close ends a wait and later calls, a
//! dropped wait leaves nothing queued, `if_free`, a failing store, and what
//! the guard and the manager report, and what the race for the lock leaves
//! behind.
#![cfg(not(target_arch = "wasm32"))]

mod host;

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;
use std::task::Poll;

use cross_tab_refresh::core::memory::{
    MemoryLock, MemoryLockGuard, MemoryLockOptions, MemoryStore,
};
use cross_tab_refresh::core::{
    CrossContextLock, ErrorKind, HashStore, RefreshError, RefreshManager, RefreshOutcome,
    SessionHash, StoredState, WaitKind,
};
use futures::executor::block_on;
use host::*;

#[test]
fn close_ends_a_wait_for_the_lock_and_later_calls() {
    let (manager, _) = manager();
    block_on(async {
        let held = manager.spin_lock(WAIT).await.unwrap();
        let mut waiting = Box::pin(manager.spin_lock(WAIT));
        assert!(poll_once(waiting.as_mut()).is_pending());
        manager.close();
        match poll_once(waiting.as_mut()) {
            Poll::Ready(Err(error)) => assert_eq!(error.name(), "ClosedError"),
            _ => panic!("the wait ends with ClosedError"),
        }
        drop(held);
        let later = manager.spin_lock(WAIT).await;
        assert_eq!(later.err().unwrap().name(), "ClosedError");
        let restore = manager.restore_session(&TokenServer::tokens(0)).await;
        assert_eq!(restore.unwrap_err().name(), "ClosedError");
    });
}

#[test]
fn a_refresh_past_the_lock_at_close_runs_to_its_end() {
    let (managers, _, store, server, storage) = session(1);
    let manager = &managers[0];
    block_on(manager.restore_session(&TokenServer::tokens(0))).unwrap();
    let after = |ended: &Rc<Cell<bool>>| {
        let ended = ended.clone();
        move || ended.set(true)
    };
    let idle = Rc::new(Cell::new(false));
    manager.after_refresh(after(&idle));
    assert!(idle.get(), "no refresh in flight: at once");
    let handlers = Handlers::new(&server, &storage);
    let mut refresh = Box::pin(manager.refresh(WAIT, &handlers));
    assert!(
        poll_once(refresh.as_mut()).is_pending(),
        "in the network call"
    );
    let ended = Rc::new(Cell::new(false));
    manager.after_refresh(after(&ended));
    manager.close();
    assert!(!ended.get(), "the refresh is still in flight");
    let (outcome, tokens) = block_on(refresh).unwrap();
    assert_eq!(outcome, RefreshOutcome::Refreshed);
    assert_eq!(stored_hash(&store), Some(SessionHash::of(&tokens)));
    assert!(ended.get(), "called when it ended");

    // A refresh dropped before its end ends its flight too.
    let (managers, _, _, server, storage) = session(1);
    let manager = &managers[0];
    block_on(manager.restore_session(&TokenServer::tokens(0))).unwrap();
    let handlers = Handlers::new(&server, &storage);
    let mut refresh = Box::pin(manager.refresh(WAIT, &handlers));
    assert!(poll_once(refresh.as_mut()).is_pending());
    let dropped = Rc::new(Cell::new(false));
    manager.after_refresh(after(&dropped));
    assert!(!dropped.get());
    drop(refresh);
    assert!(dropped.get(), "called when it was dropped");
}

#[test]
fn a_dropped_wait_leaves_nothing_queued() {
    let (manager, _) = manager();
    block_on(async {
        let held = manager.spin_lock(WAIT).await.unwrap();
        let mut dropped = Box::pin(manager.spin_lock(WAIT));
        assert!(poll_once(dropped.as_mut()).is_pending());
        drop(dropped);
        drop(held);
        assert!(!manager.is_locked_here());
        let mut next = Box::pin(manager.spin_lock(WAIT));
        assert!(
            poll_once(next.as_mut()).is_ready(),
            "the lock is free at once"
        );
    });
}

#[test]
fn if_free_fails_at_once_when_this_context_holds_the_lock() {
    let (manager, store) = manager();
    store.fail_next(0);
    block_on(async {
        let held = manager.spin_lock(WAIT).await.unwrap();
        let if_free = MemoryLockOptions {
            steal: false,
            if_free: true,
        };
        let error = manager.spin_lock(if_free).await.err().unwrap();
        assert!(matches!(
            error.kind(),
            ErrorKind::LockTimeout { timeout_ms: 0 }
        ));
        drop(held);
        drop(manager.spin_lock(if_free).await.unwrap());
    });
}

#[test]
fn a_failing_store_is_a_store_error_and_recovers() {
    let (manager, store) = manager();
    block_on(async {
        store.fail_next(1);
        let error = manager.spin_lock(WAIT).await.err().unwrap();
        assert_eq!(error.name(), "StoreError");
        assert!(
            !manager.is_locked_here(),
            "the failed read released the lock"
        );
        drop(manager.spin_lock(WAIT).await.unwrap());
    });
}

#[test]
fn the_guard_reports_its_generation_and_the_manager_its_lock_and_store() {
    let (manager, store) = manager();
    block_on(async {
        assert!(!manager.is_locked_here());
        let guard = manager.spin_lock(WAIT).await.unwrap();
        assert!(manager.is_locked_here());
        assert_eq!(guard.generation(), 0);
        guard
            .save_in_memory_and_db(&TokenServer::tokens(0))
            .await
            .unwrap();
        guard
            .save_in_memory_and_db(&TokenServer::tokens(1))
            .await
            .unwrap();
        assert_eq!(guard.generation(), 2);
        assert_eq!(store.writes(), 2);
        let stored = manager.stored_state().await.unwrap();
        assert_eq!(stored.generation, 2);
        assert_eq!(stored.hash, Some(SessionHash::of(&TokenServer::tokens(1))));
        // Trusted tokens equal to the stored ones: nothing is written.
        guard
            .handle_mismatch(&TokenServer::tokens(1))
            .await
            .unwrap();
        assert_eq!(store.writes(), 2);
        drop(guard);
        assert!(!manager.is_locked_here());
    });
}

/// A memory lock whose give-up futures count themselves from their creation
/// until they are dropped.
struct CountingLock {
    inner: MemoryLock,
    give_ups: Rc<Cell<u32>>,
}

struct Alive(Rc<Cell<u32>>);

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

impl CrossContextLock for CountingLock {
    type Guard = MemoryLockGuard;
    type Options = MemoryLockOptions;

    fn wait_kind(options: &MemoryLockOptions) -> WaitKind {
        MemoryLock::wait_kind(options)
    }

    async fn acquire(&self, options: MemoryLockOptions) -> Result<MemoryLockGuard, RefreshError> {
        self.inner.acquire(options).await
    }

    fn give_up(&self, _: &MemoryLockOptions) -> impl Future<Output = RefreshError> {
        self.give_ups.set(self.give_ups.get() + 1);
        let alive = Alive(self.give_ups.clone());
        async move {
            let _alive = alive;
            std::future::pending().await
        }
    }
}

/// A memory store whose reads wait until `open` is set.
struct GatedStore {
    inner: MemoryStore,
    open: Rc<Cell<bool>>,
}

impl HashStore for GatedStore {
    async fn load(&self) -> Result<StoredState, RefreshError> {
        std::future::poll_fn(|_| match self.open.get() {
            true => Poll::Ready(()),
            false => Poll::Pending,
        })
        .await;
        self.inner.load().await
    }

    async fn store_if(
        &self,
        read: &StoredState,
        hash: &SessionHash,
    ) -> Result<StoredState, RefreshError> {
        self.inner.store_if(read, hash).await
    }

    async fn tombstone(&self) -> Result<StoredState, RefreshError> {
        self.inner.tombstone().await
    }
}

#[test]
fn a_won_race_drops_its_timeout_before_the_guard_reads() {
    // The wait's timeout (a timer, an abort listener in the browser) ends
    // with the race, not when spin_lock returns.
    let give_ups = Rc::new(Cell::new(0));
    let open = Rc::new(Cell::new(false));
    let lock = CountingLock {
        inner: MemoryLock::default(),
        give_ups: give_ups.clone(),
    };
    let store = GatedStore {
        inner: MemoryStore::default(),
        open: open.clone(),
    };
    let manager = RefreshManager::new(lock, store);
    let mut spin = Box::pin(manager.spin_lock(WAIT));
    assert!(poll_once(spin.as_mut()).is_pending(), "the read waits");
    assert!(manager.lock().inner.is_held(), "the lock is held");
    assert_eq!(give_ups.get(), 0, "the timeout outlived the race");
    open.set(true);
    assert!(matches!(poll_once(spin.as_mut()), Poll::Ready(Ok(_))));
}
