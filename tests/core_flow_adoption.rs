//! Adoption on the host: an app storage behind the store is waited for and
//! never written back, restored tokens whose hash never reached the store
//! repair it, and `close()` ends a pause for the app's storage only before
//! the network call spent the old refresh token.
#![cfg(not(target_arch = "wasm32"))]

mod host;

use std::cell::Cell;

use cross_tab_refresh::core::memory::{MemoryLockOptions, MemoryStore};
use cross_tab_refresh::core::{
    ErrorKind, RefreshError, RefreshHandlers, RefreshOutcome, SessionHash, SessionTokens,
};
use futures::executor::block_on;
use host::*;

/// Handlers whose app storage reaches this context late (localStorage in
/// another tab, say): the next `behind` reloads still return `stale`.
struct Lagging {
    handlers: Handlers,
    stale: SessionTokens,
    behind: Cell<u32>,
    reloads: Cell<u32>,
}

impl RefreshHandlers for Lagging {
    type Tokens = SessionTokens;
    async fn refresh(&self) -> Result<SessionTokens, RefreshError> {
        self.handlers.refresh().await
    }
    async fn reload(&self) -> Result<SessionTokens, RefreshError> {
        self.reloads.set(self.reloads.get() + 1);
        let fresh = self.handlers.reload().await?;
        if self.behind.get() == 0 {
            return Ok(fresh);
        }
        self.behind.set(self.behind.get() - 1);
        Ok(self.stale.clone())
    }
    async fn save(&self, tokens: &SessionTokens) -> Result<(), RefreshError> {
        self.handlers.save(tokens).await
    }
}

/// Context B knows tokens 0; context A has refreshed to tokens 1 and stored
/// their hash. Returns B, the store and B's handlers, whose app storage
/// still shows tokens 0 for the next `behind` reloads.
fn behind_the_store(behind: u32) -> (Manager, MemoryStore, TokenServer, Lagging) {
    let (mut managers, _, store, server, storage) = session(2);
    block_on(async {
        for manager in &managers {
            manager
                .restore_session(&TokenServer::tokens(0))
                .await
                .unwrap();
        }
        let (outcome, _) = managers[0]
            .refresh(WAIT, &Handlers::new(&server, &storage))
            .await
            .unwrap();
        assert_eq!(outcome, RefreshOutcome::Refreshed);
    });
    let lagging = Lagging {
        handlers: Handlers::new(&server, &storage),
        stale: TokenServer::tokens(0),
        behind: Cell::new(behind),
        reloads: Cell::new(0),
    };
    (managers.remove(1), store, server, lagging)
}

/// An app storage that has caught up is read once: no pause, no second
/// reload.
#[test]
fn an_app_storage_up_to_date_is_reloaded_once() {
    let (b, store, server, lagging) = behind_the_store(0);
    let (outcome, tokens) = block_on(b.refresh(WAIT, &lagging)).unwrap();
    assert_eq!(outcome, RefreshOutcome::Adopted);
    assert_eq!(tokens, TokenServer::tokens(1));
    assert_eq!(lagging.reloads.get(), 1);
    assert_eq!(store.writes(), 1);
    assert_eq!(server.issued.get(), 1);
}

#[test]
fn an_app_storage_behind_the_store_is_waited_for_never_written_back() {
    let (b, store, server, lagging) = behind_the_store(3);
    let (outcome, tokens) = block_on(b.refresh(WAIT, &lagging)).unwrap();
    assert_eq!(outcome, RefreshOutcome::Adopted);
    assert_eq!(tokens, TokenServer::tokens(1));
    assert_eq!(lagging.behind.get(), 0, "reloaded until it caught up");
    assert_eq!(lagging.reloads.get(), 4, "after a pause each time");
    let newest = Some(SessionHash::of(&TokenServer::tokens(1)));
    assert_eq!(stored_hash(&store), newest, "the store was rolled back");
    assert_eq!(store.writes(), 1);
    assert_eq!(b.known_session_hash(), newest);
    assert_eq!(server.issued.get(), 1);
}

#[test]
fn an_app_storage_that_never_catches_up_fails_and_writes_nothing() {
    let (b, store, server, lagging) = behind_the_store(u32::MAX);
    let error = block_on(b.refresh(WAIT, &lagging)).unwrap_err();
    assert_eq!(error.name(), "StaleTokensError", "{error}");
    assert!(error.to_string().contains("localStorage"), "{error}");
    let newest = Some(SessionHash::of(&TokenServer::tokens(1)));
    assert_eq!(stored_hash(&store), newest, "the store was rolled back");
    assert_eq!(store.writes(), 1);
    assert_eq!(
        b.known_session_hash(),
        Some(SessionHash::of(&TokenServer::tokens(0)))
    );
    assert_eq!(server.issued.get(), 1);
}

/// The seed's own flow: a guard that finds another context's newer hash and
/// is handed the tokens this context already knew (its app storage behind)
/// refuses to write their hash back.
#[test]
fn handle_mismatch_with_the_tokens_this_context_knew_writes_nothing() {
    let (b, store, _, _) = behind_the_store(0);
    block_on(async {
        let guard = b.spin_lock(WAIT).await.unwrap();
        assert!(guard.hash_mismatch());
        let error = guard
            .handle_mismatch(&TokenServer::tokens(0))
            .await
            .unwrap_err();
        assert_eq!(error.name(), "StaleTokensError", "{error}");
        guard
            .handle_mismatch(&TokenServer::tokens(1))
            .await
            .unwrap();
    });
    let newest = Some(SessionHash::of(&TokenServer::tokens(1)));
    assert_eq!(stored_hash(&store), newest, "the store was rolled back");
    assert_eq!(store.writes(), 1);
    assert_eq!(b.known_session_hash(), newest);
}

/// A context refreshed and saved the new tokens, then stopped before it
/// wrote their hash. A context that restores them from app storage (a tab
/// opened later) repairs the store, after the pauses for the app's storage:
/// the store has not changed since it learned them, so they are not stale
/// (it was left unable to refresh).
#[test]
fn restored_tokens_whose_hash_never_reached_the_store_repair_it() {
    let (mut managers, _, store, server, storage) = session(2);
    let b = managers.remove(1);
    let issued = block_on(async {
        let guard = managers[0].spin_lock(WAIT).await.unwrap();
        guard
            .save_in_memory_and_db(&TokenServer::tokens(0))
            .await
            .unwrap();
        drop(guard);
        let issued = server.exchange("refresh-0").unwrap();
        *storage.0.borrow_mut() = issued.clone();
        b.restore_session(&issued).await.unwrap();
        issued
    });
    let handlers = Handlers::new(&server, &storage);
    let (outcome, tokens) = block_on(b.refresh(WAIT, &handlers)).unwrap();
    assert_eq!(outcome, RefreshOutcome::Adopted);
    assert_eq!(tokens, issued);
    assert_eq!(handlers.network_calls.get(), 0, "no network call");
    assert_eq!(stored_hash(&store), Some(SessionHash::of(&issued)));
    assert_eq!(store.writes(), 2);
}

/// `close()` while a refresh pauses for the app's storage ends it with
/// `Closed` at once: nothing was spent, and nothing more is reloaded.
#[test]
fn close_ends_a_pause_for_the_app_storage() {
    let (b, store, _, lagging) = behind_the_store(u32::MAX);
    let mut refresh = std::pin::pin!(b.refresh(WAIT, &lagging));
    // Up to the first stale reload; the refresh then pauses.
    for _ in 0..100 {
        if lagging.behind.get() < u32::MAX {
            break;
        }
        assert!(poll_once(refresh.as_mut()).is_pending());
    }
    let left = lagging.behind.get();
    assert_eq!(left, u32::MAX - 1, "one reload, then the pause");
    b.close();
    match poll_once(refresh.as_mut()) {
        std::task::Poll::Ready(Err(error)) if matches!(error.kind(), ErrorKind::Closed) => {}
        other => panic!(
            "expected Closed at once, got {:?}",
            other.map(|r| r.map(|(o, _)| o))
        ),
    }
    assert_eq!(lagging.behind.get(), left, "reloaded after close()");
    assert_eq!(store.writes(), 1);
}

/// A refresh whose fenced write lost to a steal adopts after its network
/// call spent the old refresh token: `close()` during its pause for the
/// app's storage does not end it (a refresh past the network call runs to
/// its end), and it stores the hash of the tokens it saved.
#[test]
fn close_does_not_end_the_pause_of_a_refresh_that_spent_its_token() {
    let (managers, _, store, server, storage) = session(2);
    let (b, c) = (&managers[0], &managers[1]);
    block_on(async {
        let guard = b.spin_lock(WAIT).await.unwrap();
        guard
            .save_in_memory_and_db(&TokenServer::tokens(0))
            .await
            .unwrap();
    });
    let handlers = Handlers::new(&server, &storage);
    let mut refresh = std::pin::pin!(b.refresh(WAIT, &handlers));
    for _ in 0..100 {
        if handlers.network_calls.get() == 1 {
            break;
        }
        assert!(poll_once(refresh.as_mut()).is_pending());
    }
    assert_eq!(handlers.network_calls.get(), 1, "inside the network call");
    // Another context steals the lock and writes while B's call is out.
    block_on(async {
        let steal = MemoryLockOptions {
            steal: true,
            if_free: false,
        };
        let guard = c.spin_lock(steal).await.unwrap();
        guard
            .save_in_memory_and_db(&TokenServer::tokens(7))
            .await
            .unwrap();
    });
    // Up to B's save of its new tokens in the app's storage; its write is
    // then fenced, and it adopts, pausing while the app's storage (its own
    // new tokens) differs from the store. close() comes now.
    for _ in 0..100 {
        if *storage.0.borrow() == TokenServer::tokens(1) {
            break;
        }
        assert!(poll_once(refresh.as_mut()).is_pending());
    }
    assert_eq!(*storage.0.borrow(), TokenServer::tokens(1), "B saved");
    b.close();
    let result = block_on(refresh);
    let (outcome, tokens) = result.unwrap_or_else(|e| panic!("ended with {e}"));
    assert_eq!(outcome, RefreshOutcome::Adopted);
    assert_eq!(tokens, TokenServer::tokens(1));
    assert_eq!(
        stored_hash(&store),
        Some(SessionHash::of(&TokenServer::tokens(1)))
    );
}
