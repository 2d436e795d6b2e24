//! The refresh flow on the host: concurrent refreshes call the network
//! once, a failed refresh or reload changes nothing, an invalid_grant after
//! a steal re-reads the store and adopts, and a store failure at the write
//! is reported as it is. Adoption from a lagging app storage:
//! `core_flow_adoption.rs`.
#![cfg(not(target_arch = "wasm32"))]

mod host;

use cross_tab_refresh::core::memory::{MemoryRecord, MemoryStore};
use cross_tab_refresh::core::{
    Cause, ErrorKind, RefreshError, RefreshHandlers, RefreshOutcome, SessionHash, SessionTokens,
    StoredState,
};
use futures::executor::block_on;
use host::*;

#[test]
fn concurrent_refreshes_call_the_network_once_and_the_rest_adopt() {
    let (managers, _, store, server, storage) = session(8);
    for manager in &managers {
        block_on(manager.restore_session(&TokenServer::tokens(0))).unwrap();
    }
    let handlers: Vec<Handlers> = managers
        .iter()
        .map(|_| Handlers::new(&server, &storage))
        .collect();
    let tasks: Vec<Task<'_>> = managers
        .iter()
        .zip(&handlers)
        .map(|(m, h)| Box::pin(m.refresh(WAIT, h)) as Task<'_>)
        .collect();
    let results = run_interleaved(tasks, &[3, 1, 4, 1, 5, 9, 2, 6]);
    let outcomes: Vec<RefreshOutcome> = results
        .iter()
        .map(|r| r.as_ref().map_err(|e| e.to_string()).unwrap().0)
        .collect();
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == RefreshOutcome::Refreshed)
            .count(),
        1
    );
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == RefreshOutcome::Adopted)
            .count(),
        7
    );
    assert_eq!(server.issued.get(), 1);
    assert_eq!(server.invalid_grants.get(), 0);
    for (result, manager) in results.iter().zip(&managers) {
        assert_eq!(result.as_ref().unwrap().1, TokenServer::tokens(1));
        assert_eq!(
            manager.known_session_hash(),
            Some(SessionHash::of(&TokenServer::tokens(1)))
        );
    }
    assert_eq!(
        stored_hash(&store),
        Some(SessionHash::of(&TokenServer::tokens(1)))
    );
}

#[test]
fn a_failed_refresh_leaves_the_store_untouched() {
    block_on(async {
        let (managers, _, store, server, storage) = session(1);
        managers[0]
            .restore_session(&TokenServer::tokens(0))
            .await
            .unwrap();
        server.fail_next.set(true);
        let error = managers[0]
            .refresh(WAIT, &Handlers::new(&server, &storage))
            .await
            .unwrap_err();
        assert_eq!(error.name(), "CallbackError");
        assert_eq!(store.writes(), 0);
        assert_eq!(store.record(), MemoryRecord::Valid(StoredState::default()));
    });
}

#[test]
fn invalid_grant_then_reread_adopts_when_the_store_moved_under_the_lock() {
    // 1. A holds the lock and has read the store (no mismatch).
    // 2. B steals the lock, refreshes and stores tokens 1.
    // 3. A calls the network with the spent token: invalid_grant.
    // 4. A re-reads the store, finds B's tokens and adopts them.
    let (managers, _, store, server, storage) = session(2);
    let (a, b) = (&managers[0], &managers[1]);
    block_on(a.restore_session(&TokenServer::tokens(0))).unwrap();
    block_on(b.restore_session(&TokenServer::tokens(0))).unwrap();
    let handlers_a = Handlers::new(&server, &storage);
    let handlers_b = Handlers::new(&server, &storage);
    // A takes the lock, reads the refresh token and pauses before the network call.
    let mut flow_a: Task<'_> = Box::pin(a.refresh(WAIT, &handlers_a));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    assert!(flow_a.as_mut().poll(&mut cx).is_pending());
    // B steals the lock and runs its whole refresh.
    let (outcome_b, _) = block_on(b.refresh(STEAL, &handlers_b)).unwrap();
    assert_eq!(outcome_b, RefreshOutcome::Refreshed);
    // A resumes: invalid_grant, a second look at the store, adoption.
    let (outcome, tokens) = block_on(flow_a).unwrap();
    assert_eq!(outcome, RefreshOutcome::Adopted);
    assert_eq!(tokens, TokenServer::tokens(1));
    assert_eq!(
        server.invalid_grants.get(),
        1,
        "A's stale call was refused by the server"
    );
    assert_eq!(
        stored_hash(&store),
        Some(SessionHash::of(&TokenServer::tokens(1)))
    );
    assert_eq!(
        a.known_session_hash(),
        Some(SessionHash::of(&TokenServer::tokens(1)))
    );
}

#[test]
fn a_failed_reload_is_an_error_not_a_success_on_stale_tokens() {
    block_on(async {
        let (managers, _, _, server, storage) = session(2);
        managers[1]
            .restore_session(&TokenServer::tokens(0))
            .await
            .unwrap();
        managers[1]
            .refresh(WAIT, &Handlers::new(&server, &storage))
            .await
            .unwrap();
        managers[0]
            .restore_session(&TokenServer::tokens(0))
            .await
            .unwrap();
        let mut handlers = Handlers::new(&server, &storage);
        handlers.fail_reload = true;
        let error = managers[0].refresh(WAIT, &handlers).await.unwrap_err();
        assert!(matches!(
            error.kind(),
            ErrorKind::Callback {
                callback: "reload",
                ..
            }
        ));
        assert_eq!(
            managers[0].known_session_hash(),
            Some(SessionHash::of(&TokenServer::tokens(0)))
        );
    });
}

/// Handlers whose `save` makes the store's next operation fail: the fenced
/// write right after it.
struct StoreFailsAfterSave {
    inner: Handlers,
    store: MemoryStore,
}

impl RefreshHandlers for StoreFailsAfterSave {
    type Tokens = SessionTokens;
    async fn refresh(&self) -> Result<SessionTokens, RefreshError> {
        self.inner.refresh().await
    }
    async fn reload(&self) -> Result<SessionTokens, RefreshError> {
        self.inner.reload().await
    }
    async fn save(&self, tokens: &SessionTokens) -> Result<(), RefreshError> {
        self.inner.save(tokens).await?;
        self.store.fail_next(1);
        Ok(())
    }
}

/// A store failure at the write after a network refresh is that failure,
/// neither an adoption nor a logout: the new tokens are in the app's
/// storage (`save` ran), the error carries them too (an app with no `save`
/// has them nowhere else), and the store is unchanged.
#[test]
fn a_store_failure_at_the_write_after_a_refresh_is_reported_as_it_is() {
    let (manager, store) = manager();
    let (server, storage) = (TokenServer::default(), AppStorage::default());
    let handlers = StoreFailsAfterSave {
        inner: Handlers::new(&server, &storage),
        store: store.clone(),
    };
    block_on(async {
        manager
            .restore_session(&TokenServer::tokens(0))
            .await
            .unwrap();
        let error = manager.refresh(WAIT, &handlers).await.unwrap_err();
        assert_eq!(error.name(), "StoreError", "{error}");
        assert_eq!(
            error.issued_tokens::<SessionTokens>(),
            Some(&TokenServer::tokens(1))
        );
        assert!(
            error
                .to_string()
                .ends_with("the old refresh token is spent"),
            "{error}"
        );
        assert_eq!(*storage.0.borrow(), TokenServer::tokens(1));
        assert_eq!(stored_hash(&store), None);
        assert_eq!(store.writes(), 0);
    });
}

/// Handlers whose `refresh` fails (the server said `invalid_grant`, say)
/// and makes the store's next operation fail: the read after it.
struct StoreFailsAfterRefreshFails {
    inner: Handlers,
    store: MemoryStore,
}

impl RefreshHandlers for StoreFailsAfterRefreshFails {
    type Tokens = SessionTokens;
    async fn refresh(&self) -> Result<SessionTokens, RefreshError> {
        self.store.fail_next(1);
        Err(ErrorKind::Callback {
            callback: "refresh",
            cause: Some(Cause::new("invalid_grant")),
            tokens: None,
        }
        .into())
    }
    async fn reload(&self) -> Result<SessionTokens, RefreshError> {
        self.inner.reload().await
    }
    async fn save(&self, tokens: &SessionTokens) -> Result<(), RefreshError> {
        self.inner.save(tokens).await
    }
}

/// A failed network refresh stays the error when the read that follows it
/// fails too: the app decides on it (an `invalid_grant` means logged out).
#[test]
fn a_store_failure_after_a_failed_refresh_does_not_hide_it() {
    let (manager, store) = manager();
    let (server, storage) = (TokenServer::default(), AppStorage::default());
    let handlers = StoreFailsAfterRefreshFails {
        inner: Handlers::new(&server, &storage),
        store: store.clone(),
    };
    block_on(async {
        manager
            .restore_session(&TokenServer::tokens(0))
            .await
            .unwrap();
        let error = manager.refresh(WAIT, &handlers).await.unwrap_err();
        assert_eq!(error.name(), "CallbackError", "{error}");
        assert_eq!(
            error.cause().and_then(|cause| cause.downcast_ref::<&str>()),
            Some(&"invalid_grant")
        );
    });
}
