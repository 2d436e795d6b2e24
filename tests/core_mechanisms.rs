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
    Cause, RefreshError, RefreshHandlers, RefreshManager, RefreshOutcome, SessionHash,
    SessionTokens,
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
