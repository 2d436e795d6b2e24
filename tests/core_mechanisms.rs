//! The core's mechanisms on the host: in-context turns, single flight,
//! closing, and the manager behaviours built on them (a failed save hands
//! the tokens back, a re-entrant refresh is refused, a logout is not
//! undone, dropping a wait leaves nothing behind).
#![cfg(not(target_arch = "wasm32"))]

mod host;

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use cross_tab_refresh::core::closing::{CloseSignal, first};
use cross_tab_refresh::core::exclusion::Turns;
use cross_tab_refresh::core::flight::{Flight, Role};
use cross_tab_refresh::core::memory::{MemoryLock, MemoryLockOptions, MemoryStore};
use cross_tab_refresh::core::{
    Cause, CrossContextLock, RefreshError, RefreshHandlers, RefreshManager, RefreshOutcome,
    SessionHash, SessionTokens,
};
use futures::executor::block_on;
use host::*;

const WAIT: MemoryLockOptions = MemoryLockOptions {
    steal: false,
    if_free: false,
};

fn poll_once<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn turns_are_taken_in_order_and_a_dropped_waiter_leaves_the_line() {
    let turns = Turns::default();
    let first_turn = turns.try_take().expect("free");
    assert!(turns.try_take().is_none(), "held");
    let mut second = pin!(turns.wait());
    let mut third = pin!(turns.wait());
    assert!(poll_once(second.as_mut()).is_pending());
    assert!(poll_once(third.as_mut()).is_pending());
    drop(first_turn);
    // The third in line cannot jump the second.
    assert!(poll_once(third.as_mut()).is_pending());
    let second_turn = match poll_once(second.as_mut()) {
        Poll::Ready(turn) => turn,
        Poll::Pending => panic!("the second in line goes next"),
    };
    drop(second_turn);
    assert!(poll_once(third.as_mut()).is_ready());
}

#[test]
fn a_dropped_waiter_passes_the_turn_on() {
    let turns = Turns::default();
    let held = turns.try_take().unwrap();
    let mut gone = Box::pin(turns.wait());
    let mut next = pin!(turns.wait());
    assert!(poll_once(gone.as_mut()).is_pending());
    assert!(poll_once(next.as_mut()).is_pending());
    drop(held);
    drop(gone);
    let turn = poll_once(next.as_mut());
    assert!(turn.is_ready());
    assert!(turns.is_held());
}

#[test]
fn a_stolen_turn_releases_nothing() {
    let turns = Turns::default();
    let old = turns.try_take().unwrap();
    let thief = turns.steal();
    drop(old);
    assert!(turns.is_held(), "the thief still holds");
    drop(thief);
    assert!(!turns.is_held());
}

#[test]
fn single_flight_shares_one_run_and_survives_a_dropped_leader() {
    let flight = Flight::default();
    let Role::Lead(ticket) = flight.join() else {
        panic!("the first caller leads")
    };
    let Role::Follow(id) = flight.join() else {
        panic!("the second follows")
    };
    let mut waiting = Box::pin(flight.result_of(id));
    assert!(poll_once(waiting.as_mut()).is_pending());
    ticket.publish(std::rc::Rc::new(7u32));
    match poll_once(waiting.as_mut()) {
        Poll::Ready(Some(result)) => assert_eq!(result.downcast_ref::<u32>(), Some(&7)),
        _ => panic!("the follower gets the leader's result"),
    }
    // A leader dropped without a result ends the run: followers try again.
    let Role::Lead(ticket) = flight.join() else {
        panic!("a new run")
    };
    let Role::Follow(id) = flight.join() else {
        panic!()
    };
    drop(ticket);
    assert!(matches!(
        poll_once(pin!(flight.result_of(id))),
        Poll::Ready(None)
    ));
    assert!(matches!(flight.join(), Role::Lead(_)));
}

#[test]
fn closing_ends_every_wait() {
    let closing = CloseSignal::default();
    let mut waits: Vec<_> = (0..3).map(|_| Box::pin(closing.closed())).collect();
    for wait in &mut waits {
        assert!(poll_once(wait.as_mut()).is_pending());
    }
    closing.close();
    assert!(closing.is_closed());
    for wait in &mut waits {
        assert!(poll_once(wait.as_mut()).is_ready());
    }
    let a = async { 1 };
    let b = std::future::pending::<i32>();
    assert_eq!(block_on(first(a, b)), 1);
}

fn manager() -> (Manager, MemoryStore) {
    let store = MemoryStore::default();
    (
        RefreshManager::new(MemoryLock::default(), store.clone()),
        store,
    )
}

/// Handlers whose `save` fails.
struct FailingSave(Handlers);

impl RefreshHandlers for FailingSave {
    type Tokens = SessionTokens;
    async fn refresh(&self) -> Result<SessionTokens, RefreshError> {
        self.0.refresh().await
    }
    async fn reload(&self) -> Result<SessionTokens, RefreshError> {
        self.0.reload().await
    }
    async fn save(&self, _: &SessionTokens) -> Result<(), RefreshError> {
        Err(RefreshError::Callback {
            callback: "save",
            cause: Some(Cause::new("quota exceeded")),
            tokens: None,
        })
    }
}

#[test]
fn a_failed_save_hands_the_issued_tokens_back_and_changes_nothing() {
    let (manager, store) = manager();
    let (server, storage) = (TokenServer::default(), AppStorage::default());
    block_on(async {
        manager
            .restore_session(&TokenServer::tokens(0))
            .await
            .unwrap();
        let error = manager
            .refresh(WAIT, &FailingSave(Handlers::new(&server, &storage)))
            .await
            .unwrap_err();
        assert_eq!(error.name(), "CallbackError");
        assert_eq!(
            error.unsaved_tokens::<SessionTokens>(),
            Some(&TokenServer::tokens(1))
        );
        assert!(error.to_string().contains("persist them"), "{error}");
        assert_eq!(store.writes(), 0);
        assert_eq!(
            manager.known_session_hash(),
            Some(SessionHash::of(&TokenServer::tokens(0)))
        );
    });
}

/// Handlers whose `save` fails with an error of its own kind.
struct StoreFailingSave(Handlers);

impl RefreshHandlers for StoreFailingSave {
    type Tokens = SessionTokens;
    async fn refresh(&self) -> Result<SessionTokens, RefreshError> {
        self.0.refresh().await
    }
    async fn reload(&self) -> Result<SessionTokens, RefreshError> {
        self.0.reload().await
    }
    async fn save(&self, _: &SessionTokens) -> Result<(), RefreshError> {
        Err(RefreshError::Store {
            message: "disk full".to_owned(),
            cause: None,
        })
    }
}

#[test]
fn a_save_failing_with_any_error_is_a_callback_error_that_keeps_it_and_the_tokens() {
    let (manager, store) = manager();
    let (server, storage) = (TokenServer::default(), AppStorage::default());
    block_on(async {
        manager
            .restore_session(&TokenServer::tokens(0))
            .await
            .unwrap();
        let error = manager
            .refresh(WAIT, &StoreFailingSave(Handlers::new(&server, &storage)))
            .await
            .unwrap_err();
        assert!(matches!(
            error,
            RefreshError::Callback {
                callback: "save",
                ..
            }
        ));
        let original = error.cause().and_then(|c| c.downcast_ref::<RefreshError>());
        assert_eq!(original.map(RefreshError::name), Some("StoreError"));
        assert_eq!(
            error.unsaved_tokens::<SessionTokens>(),
            Some(&TokenServer::tokens(1))
        );
        assert_eq!(store.writes(), 0);
    });
}

/// Handlers whose `refresh` calls `refresh` of the same manager.
struct Reentrant<'a> {
    manager: &'a Manager,
    inner: Handlers,
}

impl RefreshHandlers for Reentrant<'_> {
    type Tokens = SessionTokens;
    async fn refresh(&self) -> Result<SessionTokens, RefreshError> {
        self.manager
            .refresh(WAIT, &self.inner)
            .await
            .map(|(_, tokens)| tokens)
    }
    async fn reload(&self) -> Result<SessionTokens, RefreshError> {
        self.inner.reload().await
    }
    async fn save(&self, tokens: &SessionTokens) -> Result<(), RefreshError> {
        self.inner.save(tokens).await
    }
}

#[test]
fn a_refresh_from_inside_its_own_handler_is_refused() {
    let (manager, _) = manager();
    let (server, storage) = (TokenServer::default(), AppStorage::default());
    block_on(async {
        manager
            .restore_session(&TokenServer::tokens(0))
            .await
            .unwrap();
        let handlers = Reentrant {
            manager: &manager,
            inner: Handlers::new(&server, &storage),
        };
        let error = manager.refresh(WAIT, &handlers).await.unwrap_err();
        assert_eq!(error.name(), "ReentrancyError");
        assert_eq!(server.issued.get(), 0);
        // And the lock is free again.
        drop(manager.spin_lock(WAIT).await.unwrap());
    });
}

#[test]
fn a_stale_context_cannot_refresh_over_a_logout_but_a_new_login_works() {
    let store = MemoryStore::default();
    let lock = MemoryLock::default();
    let a = RefreshManager::new(lock.clone(), store.clone());
    let b = RefreshManager::new(lock, store.clone());
    let (server, storage) = (TokenServer::default(), AppStorage::default());
    block_on(async {
        let guard = a.spin_lock(WAIT).await.unwrap();
        guard
            .save_in_memory_and_db(&TokenServer::tokens(0))
            .await
            .unwrap();
        drop(guard);
        b.restore_session(&TokenServer::tokens(0)).await.unwrap();
        a.on_logout().await.unwrap();
        let handlers = Handlers::new(&server, &storage);
        let error = b.refresh(WAIT, &handlers).await.unwrap_err();
        assert_eq!(error.name(), "LoggedOutError");
        assert_eq!(handlers.network_calls.get(), 0);
        assert_eq!(b.known_session_hash(), None);
        // The seed's own flow sees a mismatch, and cannot write.
        b.restore_session(&TokenServer::tokens(0)).await.unwrap();
        a.on_logout().await.unwrap();
        let guard = b.spin_lock(WAIT).await.unwrap();
        assert!(guard.logged_out() && guard.hash_mismatch());
        let refused = guard.save_in_memory_and_db(&TokenServer::tokens(1)).await;
        assert_eq!(refused.unwrap_err().name(), "LoggedOutError");
        drop(guard);
        // A new login after the logout.
        b.restore_session(&TokenServer::tokens(0)).await.unwrap();
        let (outcome, _) = b.refresh(WAIT, &handlers).await.unwrap();
        assert_eq!(outcome, RefreshOutcome::Refreshed);
    });
}

#[test]
fn a_guard_taken_before_this_contexts_logout_cannot_bring_the_hash_back() {
    let (manager, _) = manager();
    block_on(async {
        let guard = manager.spin_lock(WAIT).await.unwrap();
        manager.on_logout().await.unwrap();
        let error = guard
            .handle_mismatch(&TokenServer::tokens(0))
            .await
            .unwrap_err();
        assert_eq!(error.name(), "LoggedOutError");
        assert_eq!(manager.known_session_hash(), None);
    });
}

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
        assert!(matches!(error, RefreshError::LockTimeout { timeout_ms: 0 }));
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

mod counting {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Wake, Waker};

    /// A waker that counts its wakes.
    pub struct Count(pub AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    pub fn waker() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        (count.clone(), Waker::from(count))
    }

    pub fn wakes(count: &Count) -> usize {
        count.0.load(Ordering::SeqCst)
    }
}

fn poll_with<F: Future>(future: std::pin::Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(waker))
}

#[test]
fn a_wait_for_close_is_listed_once_and_leaves_when_dropped() {
    let closing = CloseSignal::default();
    let mut wait = Box::pin(closing.closed());
    let mut others = [Box::pin(closing.closed()), Box::pin(closing.closed())];
    assert!(poll_once(wait.as_mut()).is_pending());
    assert!(poll_once(wait.as_mut()).is_pending());
    for other in &mut others {
        assert!(poll_once(other.as_mut()).is_pending());
    }
    assert_eq!(closing.waits(), 3, "a wait polled twice is listed once");
    drop(wait);
    assert_eq!(closing.waits(), 2, "a dropped wait leaves the list, alone");
    drop(others);
    assert_eq!(closing.waits(), 0);
}

#[test]
fn a_waiter_polled_again_is_woken_through_its_newest_waker() {
    let turns = Turns::default();
    let held = turns.try_take().unwrap();
    let mut wait = Box::pin(turns.wait());
    let (old, old_waker) = counting::waker();
    let (new, new_waker) = counting::waker();
    assert!(poll_with(wait.as_mut(), &old_waker).is_pending());
    assert!(poll_with(wait.as_mut(), &new_waker).is_pending());
    drop(held);
    assert_eq!(counting::wakes(&new), 1, "the newest waker is woken");
    assert_eq!(counting::wakes(&old), 0);
}

#[test]
fn outcomes_read_as_the_js_strings() {
    assert_eq!(RefreshOutcome::Refreshed.as_str(), "refreshed");
    assert_eq!(RefreshOutcome::Adopted.as_str(), "adopted");
}

/// Handlers that look at the manager from inside `refresh`: whether it
/// says so, and what a `spin_lock` (waiting, then stealing) does there.
struct Inspecting<'a> {
    manager: &'a Manager,
    inner: Handlers,
    seen: std::cell::RefCell<Vec<String>>,
}

impl RefreshHandlers for Inspecting<'_> {
    type Tokens = SessionTokens;
    async fn refresh(&self) -> Result<SessionTokens, RefreshError> {
        let note = |line: String| self.seen.borrow_mut().push(line);
        note(format!(
            "inside: {}",
            self.manager.is_inside_refresh_handler()
        ));
        let waiting = self.manager.spin_lock(WAIT).await;
        note(format!("wait: {:?}", waiting.err().map(|e| e.name())));
        let steal = MemoryLockOptions {
            steal: true,
            if_free: false,
        };
        let stolen = self.manager.spin_lock(steal).await;
        note(format!("steal: {}", stolen.is_ok()));
        drop(stolen);
        self.inner.refresh().await
    }
    async fn reload(&self) -> Result<SessionTokens, RefreshError> {
        self.inner.reload().await
    }
    async fn save(&self, tokens: &SessionTokens) -> Result<(), RefreshError> {
        self.inner.save(tokens).await
    }
}

#[test]
fn inside_a_handler_the_manager_knows_and_refuses_to_wait_for_itself() {
    let (manager, _) = manager();
    let (server, storage) = (TokenServer::default(), AppStorage::default());
    block_on(async {
        assert!(!manager.is_inside_refresh_handler());
        manager
            .restore_session(&TokenServer::tokens(0))
            .await
            .unwrap();
        let handlers = Inspecting {
            manager: &manager,
            inner: Handlers::new(&server, &storage),
            seen: Default::default(),
        };
        manager.refresh(WAIT, &handlers).await.unwrap();
        assert_eq!(
            handlers.seen.into_inner(),
            [
                "inside: true",
                "wait: Some(\"ReentrancyError\")",
                "steal: true"
            ]
        );
        assert!(!manager.is_inside_refresh_handler());
    });
}

/// A login in progress (no known session) while another context logs out.
struct LogoutDuringRefresh<'a> {
    other: &'a Manager,
    inner: Handlers,
}

impl RefreshHandlers for LogoutDuringRefresh<'_> {
    type Tokens = SessionTokens;
    async fn refresh(&self) -> Result<SessionTokens, RefreshError> {
        self.other.on_logout().await?;
        self.inner.refresh().await
    }
    async fn reload(&self) -> Result<SessionTokens, RefreshError> {
        self.inner.reload().await
    }
    async fn save(&self, tokens: &SessionTokens) -> Result<(), RefreshError> {
        self.inner.save(tokens).await
    }
}

#[test]
fn a_logout_during_a_refresh_of_a_context_that_knew_nothing_stays_a_logout() {
    let store = MemoryStore::default();
    let lock = MemoryLock::default();
    let fresh = RefreshManager::new(lock.clone(), store.clone());
    let other = RefreshManager::new(lock, store.clone());
    let (server, storage) = (TokenServer::default(), AppStorage::default());
    block_on(async {
        let handlers = LogoutDuringRefresh {
            other: &other,
            inner: Handlers::new(&server, &storage),
        };
        let error = fresh.refresh(WAIT, &handlers).await.unwrap_err();
        assert_eq!(error.name(), "LoggedOutError");
        assert_eq!(fresh.stored_state().await.unwrap().hash, None);
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

#[test]
fn the_memory_lock_hands_over_in_order_and_a_steal_outlives_the_stolen_guard() {
    let lock = MemoryLock::default();
    block_on(async {
        let first = lock.acquire(WAIT).await.unwrap();
        assert!(lock.is_held());
        let steal = MemoryLockOptions {
            steal: true,
            if_free: false,
        };
        let thief = lock.acquire(steal).await.unwrap();
        drop(first);
        assert!(lock.is_held(), "the stolen guard releases nothing");
        let again = lock.acquire(steal).await.unwrap();
        drop(thief);
        assert!(lock.is_held(), "nor does the second one stolen from");
        drop(again);
        assert!(!lock.is_held());
    });
    // A waiter woken and then dropped passes the wake on.
    let held = block_on(lock.acquire(WAIT)).unwrap();
    let mut gone = Box::pin(lock.acquire(WAIT));
    let mut next = Box::pin(lock.acquire(WAIT));
    let (gone_count, gone_waker) = counting::waker();
    let (next_count, next_waker) = counting::waker();
    assert!(poll_with(gone.as_mut(), &gone_waker).is_pending());
    assert!(poll_with(next.as_mut(), &next_waker).is_pending());
    drop(held);
    assert_eq!(counting::wakes(&gone_count), 1);
    drop(gone);
    assert_eq!(counting::wakes(&next_count), 1, "the next waiter is woken");
    assert!(poll_with(next.as_mut(), &next_waker).is_ready());
}
