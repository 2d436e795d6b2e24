//! Logouts and the order of requests on the host: a refresh asked for
//! before a logout (of this context, or found in the store) is held to it;
//! one asked for after a new login is not; one asked for during a refresh
//! that a logout ended shares its error.
#![cfg(not(target_arch = "wasm32"))]

mod host;

use cross_tab_refresh::core::{
    RefreshError, RefreshHandlers, RefreshOutcome, SessionHash, SessionTokens,
};
use futures::executor::block_on;
use host::*;

#[test]
fn a_refresh_asked_for_before_this_contexts_logout_does_not_undo_it() {
    // 1. A context is logged in, and holds the lock.
    // 2. It asks for a refresh, which waits for the lock.
    // 3. It logs out meanwhile (its app storage keeps the tokens, as an SDK
    //    that still holds them in memory would).
    // 4. The lock is released: the refresh rejects with LoggedOutError,
    //    makes no network call, and the logout stays stored.
    let (manager, _) = manager();
    let (server, storage) = (TokenServer::default(), AppStorage::default());
    let handlers = Handlers::new(&server, &storage);
    block_on(async {
        let guard = manager.spin_lock(WAIT).await.unwrap();
        guard
            .save_in_memory_and_db(&TokenServer::tokens(0))
            .await
            .unwrap();
        let mut refreshing = std::pin::pin!(manager.refresh(WAIT, &handlers));
        assert!(poll_once(refreshing.as_mut()).is_pending());
        manager.on_logout().await.unwrap();
        drop(guard);
        let error = refreshing.await.unwrap_err();
        assert_eq!(error.name(), "LoggedOutError");
        assert_eq!(handlers.network_calls.get(), 0);
        assert_eq!(manager.stored_state().await.unwrap().hash, None);
        assert_eq!(manager.known_session_hash(), None);
    });
}

#[test]
fn a_refresh_asked_for_after_a_logout_and_a_new_login_is_not_held_to_the_logout() {
    // 1. A context holds the lock; a refresh it asked for waits (the leader).
    // 2. It logs out, logs in anew, and asks for a refresh again: that one
    //    joins the waiting refresh.
    // 3. The lock is released: the first refresh rejects with
    //    LoggedOutError, the second runs for the new login.
    let (manager, _) = manager();
    let (server, storage) = (TokenServer::default(), AppStorage::default());
    let handlers = Handlers::new(&server, &storage);
    block_on(async {
        let guard = manager.spin_lock(WAIT).await.unwrap();
        guard
            .save_in_memory_and_db(&TokenServer::tokens(0))
            .await
            .unwrap();
        let mut before = std::pin::pin!(manager.refresh(WAIT, &handlers));
        assert!(poll_once(before.as_mut()).is_pending());
        manager.on_logout().await.unwrap();
        manager
            .restore_session(&TokenServer::tokens(0))
            .await
            .unwrap();
        let mut after = std::pin::pin!(manager.refresh(WAIT, &handlers));
        assert!(poll_once(after.as_mut()).is_pending());
        drop(guard);
        let (before, after) = futures::join!(before, after);
        assert_eq!(before.unwrap_err().name(), "LoggedOutError");
        let (outcome, _) = after.unwrap_or_else(|e| panic!("the new login's refresh: {e}"));
        assert_eq!(outcome, RefreshOutcome::Refreshed);
    });
}

/// Refresh handlers that log `by` out and in again (`restore_session`) as
/// the refresh starts (then `reached`), and wait for `gate` before the
/// network refresh.
struct LogoutAndLoginInRefresh<'a> {
    by: &'a Manager,
    reached: std::cell::Cell<bool>,
    gate: std::cell::Cell<bool>,
    inner: Handlers,
}

impl RefreshHandlers for LogoutAndLoginInRefresh<'_> {
    type Tokens = SessionTokens;
    async fn refresh(&self) -> Result<SessionTokens, RefreshError> {
        self.by.on_logout().await?;
        self.by.restore_session(&TokenServer::tokens(0)).await?;
        self.reached.set(true);
        std::future::poll_fn(|cx| {
            if self.gate.get() {
                std::task::Poll::Ready(())
            } else {
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            }
        })
        .await;
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
fn a_refresh_asked_for_during_one_that_a_logout_ended_shares_its_error() {
    // 1. A refresh is at the server when its context logs out and in again.
    // 2. A second refresh asked for then joins it.
    // 3. The first ends with the logout, carrying the tokens it saved (the
    //    ended session's); the second gets the same error rather than
    //    refreshing again with those tokens.
    let (manager, _) = manager();
    let (server, storage) = (TokenServer::default(), AppStorage::default());
    let handlers = LogoutAndLoginInRefresh {
        by: &manager,
        reached: Default::default(),
        gate: Default::default(),
        inner: Handlers::new(&server, &storage),
    };
    block_on(async {
        manager
            .restore_session(&TokenServer::tokens(0))
            .await
            .unwrap();
        let mut first = std::pin::pin!(manager.refresh(WAIT, &handlers));
        while !handlers.reached.get() {
            assert!(poll_once(first.as_mut()).is_pending());
        }
        let mut second = std::pin::pin!(manager.refresh(WAIT, &handlers));
        assert!(poll_once(second.as_mut()).is_pending());
        handlers.gate.set(true);
        let (first, second) = futures::join!(first, second);
        assert_ended_with_tokens_1(&first.unwrap_err());
        assert_ended_with_tokens_1(&second.unwrap_err());
        assert_eq!(handlers.inner.network_calls.get(), 1);
    });
}

#[test]
fn a_refresh_asked_for_before_this_context_found_a_logout_is_held_to_it() {
    // 1. Two contexts know tokens 0; B holds the lock and asks for a
    //    refresh, which waits for B's own guard.
    // 2. A logs out; B's guard reads the store again and finds the logout
    //    (B forgets its tokens).
    // 3. B's guard goes; A logs in anew. B's app storage still holds the
    //    ended session's tokens (a save that raced the logout).
    // 4. B's refresh asked for before it found the logout must not adopt
    //    them over the new login: LoggedOutError, nothing written.
    let (managers, _, store, server, storage) = session(2);
    let (a, b) = (&managers[0], &managers[1]);
    let handlers = Handlers::new(&server, &storage);
    let new_login = TokenServer::tokens(100);
    block_on(async {
        let guard = b.spin_lock(WAIT).await.unwrap();
        guard
            .save_in_memory_and_db(&TokenServer::tokens(0))
            .await
            .unwrap();
        a.restore_session(&TokenServer::tokens(0)).await.unwrap();
        let mut refreshing = std::pin::pin!(b.refresh(WAIT, &handlers));
        assert!(poll_once(refreshing.as_mut()).is_pending());
        a.on_logout().await.unwrap();
        assert!(guard.reread().await.unwrap());
        assert!(guard.logged_out());
        drop(guard);
        log_in_anew(a, &new_login).await;
        let error = refreshing.await.unwrap_err();
        assert_eq!(error.name(), "LoggedOutError", "{error}");
        assert_eq!(handlers.network_calls.get(), 0);
        assert_eq!(stored_hash(&store), Some(SessionHash::of(&new_login)));
    });
}

#[test]
fn a_context_that_found_a_logout_adopts_only_the_new_login_the_store_holds() {
    // 1. Two contexts know tokens 0. A logs out; B finds the logout.
    // 2. A logs in anew and stores its hash. B's app storage still holds
    //    the ended session's tokens (a save that raced the logout).
    // 3. B's next refresh() may adopt the new login, not write the ended
    //    session's hash over it: LoggedOutError, nothing written.
    let (managers, _, store, server, storage) = session(2);
    let (a, b) = (&managers[0], &managers[1]);
    let handlers = Handlers::new(&server, &storage);
    let new_login = TokenServer::tokens(100);
    block_on(async {
        both_know_tokens_0(a, b).await;
        a.on_logout().await.unwrap();
        let error = b.refresh(WAIT, &handlers).await.unwrap_err();
        assert_eq!(error.name(), "LoggedOutError", "{error}");
        log_in_anew(a, &new_login).await;
        let error = b.refresh(WAIT, &handlers).await.unwrap_err();
        assert_eq!(error.name(), "LoggedOutError", "{error}");
        assert_eq!(handlers.network_calls.get(), 0);
        assert_eq!(stored_hash(&store), Some(SessionHash::of(&new_login)));
        // Its app storage caught up: the new login is adopted.
        *storage.0.borrow_mut() = new_login.clone();
        let (outcome, _) = b.refresh(WAIT, &handlers).await.unwrap();
        assert_eq!(outcome, RefreshOutcome::Adopted);
        assert_eq!(b.known_session_hash(), Some(SessionHash::of(&new_login)));
    });
}

#[test]
fn a_context_told_of_a_logout_refreshes_a_new_login_not_written_yet() {
    // B is told of A's logout. The user logs in again in A, whose app
    // stores the new tokens and calls restore_session only (nothing is
    // written until a refresh). B's next refresh() runs with them.
    let (managers, _, store, server, storage) = session(2);
    let (a, b) = (&managers[0], &managers[1]);
    let handlers = Handlers::new(&server, &storage);
    block_on(async {
        both_know_tokens_0(a, b).await;
        a.on_logout().await.unwrap();
        let error = b.refresh(WAIT, &handlers).await.unwrap_err();
        assert_eq!(error.name(), "LoggedOutError", "{error}");
        // The new login's tokens, as the server issued them.
        server.issued.set(5);
        *storage.0.borrow_mut() = TokenServer::tokens(5);
        a.restore_session(&TokenServer::tokens(5)).await.unwrap();
        let (outcome, tokens) = b.refresh(WAIT, &handlers).await.unwrap();
        assert_eq!(outcome, RefreshOutcome::Refreshed);
        assert_eq!(tokens, TokenServer::tokens(6));
        assert_eq!(handlers.network_calls.get(), 1);
        assert_eq!(stored_hash(&store), Some(SessionHash::of(&tokens)));
    });
}

#[test]
fn a_login_through_handle_mismatch_after_this_contexts_logout_works() {
    // A logs out; B logs in anew. A's user logs in again and A's app, as
    // the seed's pattern does, hands its fresh tokens to handle_mismatch.
    let (managers, _, store, _, _) = session(2);
    let (a, b) = (&managers[0], &managers[1]);
    let (b_login, a_login) = (TokenServer::tokens(100), TokenServer::tokens(200));
    block_on(async {
        a.on_logout().await.unwrap();
        log_in_anew(b, &b_login).await;
        let guard = a.spin_lock(WAIT).await.unwrap();
        assert!(guard.hash_mismatch());
        guard.handle_mismatch(&a_login).await.unwrap();
        drop(guard);
        assert_eq!(stored_hash(&store), Some(SessionHash::of(&a_login)));
    });
}
