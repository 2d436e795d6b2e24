//! Fencing and logout on the host: a stolen holder cannot clobber newer
//! tokens, a logout during a refresh stands (also when a new login follows
//! it while the refresh has lost its lock), and a logout replaces a corrupt
//! record.
#![cfg(not(target_arch = "wasm32"))]

mod host;

use cross_tab_refresh::core::memory::MemoryRecord;
use cross_tab_refresh::core::{
    ErrorKind, RefreshError, RefreshHandlers, RefreshOutcome, SessionHash, SessionTokens,
    StoredState,
};
use futures::executor::block_on;
use host::*;

#[test]
fn a_stolen_holder_cannot_clobber_newer_tokens() {
    // 1. A takes the lock, refreshes (tokens 1) and hangs before its write.
    // 2. B steals the lock, refreshes with A's saved tokens (tokens 2), writes.
    // 3. A's write is fenced; the store keeps B's tokens 2.
    block_on(async {
        let (managers, _, store, _, _) = session(2);
        let (a, b) = (&managers[0], &managers[1]);
        let guard_a = a.spin_lock(WAIT).await.unwrap();
        let guard_b = b.spin_lock(STEAL).await.unwrap();
        guard_b
            .save_in_memory_and_db(&TokenServer::tokens(2))
            .await
            .unwrap();
        let error = guard_a
            .save_in_memory_and_db(&TokenServer::tokens(1))
            .await
            .unwrap_err();
        assert!(matches!(
            error.kind(),
            ErrorKind::Fenced {
                expected: 0,
                found: 1
            }
        ));
        assert_eq!(
            stored_hash(&store),
            Some(SessionHash::of(&TokenServer::tokens(2)))
        );
        assert_eq!(
            a.known_session_hash(),
            None,
            "a fenced write changes nothing in memory"
        );
    });
}

/// Handlers whose network call outlives the lock: while it runs, `other`
/// logs out, logs in anew and stores that login's tokens, taking the lock
/// from the refresh (as a steal or a lapsed lease lets it).
struct LogoutAndLoginInRefresh<'a> {
    other: &'a Manager,
    inner: Handlers,
}

impl RefreshHandlers for LogoutAndLoginInRefresh<'_> {
    type Tokens = SessionTokens;
    async fn refresh(&self) -> Result<SessionTokens, RefreshError> {
        self.other.on_logout().await?;
        let tokens = login_tokens();
        *self.inner.storage.0.borrow_mut() = tokens.clone();
        self.other.restore_session(&tokens).await?;
        let guard = self.other.spin_lock(STEAL).await?;
        guard.save_in_memory_and_db(&tokens).await?;
        // The server answers the old session's refresh token all the same.
        Ok(TokenServer::tokens(1))
    }
    async fn reload(&self) -> Result<SessionTokens, RefreshError> {
        self.inner.reload().await
    }
    async fn save(&self, tokens: &SessionTokens) -> Result<(), RefreshError> {
        self.inner.save(tokens).await
    }
}

/// A refresh that lost its lock during its network call, while another
/// context logged out and logged in anew: it does not store the ended
/// session's hash over the new login (after its pauses for the app's
/// storage, which its own `save` filled). It reports the logout, with the
/// tokens, so the app can put them away.
#[test]
fn a_refresh_that_lost_its_lock_does_not_store_the_ended_session_over_a_new_login() {
    let (managers, _, store, server, storage) = session(2);
    let (a, other) = (&managers[0], &managers[1]);
    block_on(async {
        store_tokens(a, &TokenServer::tokens(0)).await;
        let handlers = LogoutAndLoginInRefresh {
            other,
            inner: Handlers::new(&server, &storage),
        };
        let error = a.refresh(WAIT, &handlers).await.unwrap_err();
        assert_eq!(
            stored_hash(&store),
            Some(SessionHash::of(&login_tokens())),
            "the ended session's hash was stored over the new login"
        );
        assert_ended_with_tokens_1(&error);
    });
}

/// The seed's own flow, in a context that knew the session before a logout
/// and a new login elsewhere: it may adopt the new login's tokens (nothing
/// written), but not write the hash of others (the ended session's).
#[test]
fn after_a_logout_and_a_new_login_only_the_new_login_can_be_adopted() {
    let (managers, _, store, _, _) = session(2);
    let (a, other) = (&managers[0], &managers[1]);
    block_on(async {
        store_tokens(a, &TokenServer::tokens(0)).await;
        other.on_logout().await.unwrap();
        other.restore_session(&login_tokens()).await.unwrap();
        store_tokens(other, &login_tokens()).await;

        let guard = a.spin_lock(WAIT).await.unwrap();
        assert!(guard.hash_mismatch() && !guard.logged_out());
        for ended in [TokenServer::tokens(0), TokenServer::tokens(1)] {
            let refused = guard.handle_mismatch(&ended).await.unwrap_err();
            assert!(
                matches!(refused.kind(), ErrorKind::LoggedOut),
                "{refused:?}"
            );
            let refused = guard.save_in_memory_and_db(&ended).await.unwrap_err();
            assert!(
                matches!(refused.kind(), ErrorKind::LoggedOut),
                "{refused:?}"
            );
        }
        assert_eq!(stored_hash(&store), Some(SessionHash::of(&login_tokens())));
        guard.handle_mismatch(&login_tokens()).await.unwrap();
        assert_eq!(
            a.known_session_hash(),
            Some(SessionHash::of(&login_tokens()))
        );
        drop(guard);
        // Adopted: this context is in the new session now, and writes again.
        store_tokens(a, &TokenServer::tokens(5)).await;
    });
}

/// A record gone (the database deleted) after a logout and a new login is
/// nothing stored, not another logout: the refresh writes as before.
#[test]
fn a_record_gone_after_a_logout_and_a_new_login_is_no_logout() {
    let (managers, _, store, server, storage) = session(1);
    let a = &managers[0];
    block_on(async {
        a.on_logout().await.unwrap();
        a.restore_session(&TokenServer::tokens(0)).await.unwrap();
        store_tokens(a, &TokenServer::tokens(0)).await;
        store.set_record(MemoryRecord::Valid(StoredState::default()));
        let handlers = Handlers::new(&server, &storage);
        let (outcome, tokens) = a.refresh(WAIT, &handlers).await.unwrap();
        assert_eq!(
            (outcome, tokens),
            (RefreshOutcome::Refreshed, TokenServer::tokens(1))
        );
    });
}

/// A context that knows no session (a login in progress) whose lock is
/// lost while another context logs out and logs in anew cannot write over
/// that login either: the count changed since its guard first read it.
#[test]
fn a_guard_that_saw_the_count_change_cannot_write_over_a_new_login() {
    let (managers, _, store, _, _) = session(2);
    let (fresh, other) = (&managers[0], &managers[1]);
    block_on(async {
        let guard = fresh.spin_lock(WAIT).await.unwrap();
        other.on_logout().await.unwrap();
        other.restore_session(&login_tokens()).await.unwrap();
        let other_guard = other.spin_lock(STEAL).await.unwrap();
        other_guard
            .save_in_memory_and_db(&login_tokens())
            .await
            .unwrap();
        drop(other_guard);
        assert!(guard.reread().await.unwrap());
        let refused = guard
            .handle_mismatch(&TokenServer::tokens(1))
            .await
            .unwrap_err();
        assert!(
            matches!(refused.kind(), ErrorKind::LoggedOut),
            "{refused:?}"
        );
        assert_eq!(stored_hash(&store), Some(SessionHash::of(&login_tokens())));
        guard.handle_mismatch(&login_tokens()).await.unwrap();
    });
}

#[test]
fn logout_during_a_refresh_keeps_the_session_logged_out() {
    block_on(async {
        let (managers, _, store, _, _) = session(2);
        let (a, b) = (&managers[0], &managers[1]);
        let guard = a.spin_lock(WAIT).await.unwrap();
        b.on_logout().await.unwrap();
        let error = guard
            .save_in_memory_and_db(&TokenServer::tokens(1))
            .await
            .unwrap_err();
        assert_eq!(error.name(), "FencedError");
        assert_eq!(
            store.record(),
            MemoryRecord::Valid(StoredState {
                hash: None,
                generation: 1,
                logouts: 1,
            })
        );
    });
}

#[test]
fn logout_replaces_a_corrupt_record() {
    block_on(async {
        let (managers, _, store, _, _) = session(1);
        store.set_record(MemoryRecord::Corrupt("garbage".into()));
        assert_eq!(
            managers[0].spin_lock(WAIT).await.err().unwrap().name(),
            "InvalidPreviousHashError"
        );
        managers[0].on_logout().await.unwrap();
        let guard = managers[0].spin_lock(WAIT).await.unwrap();
        guard
            .save_in_memory_and_db(&TokenServer::tokens(1))
            .await
            .unwrap();
    });
}
