//! Logouts on the host: a stale context cannot refresh over one (a new
//! login works), a guard taken before it cannot bring the hash back, and a
//! logout during a refresh stands, and its error says what the app saved.
#![cfg(not(target_arch = "wasm32"))]

mod host;

use cross_tab_refresh::core::memory::{MemoryLock, MemoryRecord, MemoryStore};
use cross_tab_refresh::core::{
    ErrorKind, RefreshError, RefreshHandlers, RefreshManager, RefreshOutcome, SessionHash,
    SessionTokens, StoredState,
};
use futures::executor::block_on;
use host::*;

#[test]
fn a_stale_context_cannot_refresh_over_a_logout_but_a_new_login_works() {
    let store = MemoryStore::default();
    let lock = MemoryLock::default();
    let a = RefreshManager::new(lock.clone(), store.clone());
    let b = RefreshManager::new(lock, store.clone());
    let (server, storage) = (TokenServer::default(), AppStorage::default());
    block_on(async {
        both_know_tokens_0(&b, &a).await;
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

/// A refresh's handlers that log the session out through `by` (this
/// context or another) as the refresh starts; then the network refresh
/// succeeds, or fails with `fail`.
struct LogoutInRefresh<'a> {
    by: &'a Manager,
    fail: bool,
    inner: Handlers,
    reloads: std::cell::Cell<u32>,
}

impl<'a> LogoutInRefresh<'a> {
    fn new(by: &'a Manager, fail: bool, server: &TokenServer, storage: &AppStorage) -> Self {
        Self {
            by,
            fail,
            inner: Handlers::new(server, storage),
            reloads: Default::default(),
        }
    }
}

impl RefreshHandlers for LogoutInRefresh<'_> {
    type Tokens = SessionTokens;
    async fn refresh(&self) -> Result<SessionTokens, RefreshError> {
        self.by.on_logout().await?;
        if self.fail {
            return Err(ErrorKind::Callback {
                callback: "refresh",
                cause: None,
                tokens: None,
            }
            .into());
        }
        self.inner.refresh().await
    }
    async fn reload(&self) -> Result<SessionTokens, RefreshError> {
        self.reloads.set(self.reloads.get() + 1);
        self.inner.reload().await
    }
    async fn save(&self, tokens: &SessionTokens) -> Result<(), RefreshError> {
        self.inner.save(tokens).await
    }
}

/// `error` is a logout during the refresh that got tokens 1 (`save` stored
/// them), and `manager`'s store holds the logout.
async fn assert_ended_during_refresh(error: &RefreshError, manager: &Manager) {
    assert_ended_with_tokens_1(error);
    assert_eq!(manager.stored_state().await.unwrap().hash, None);
}

/// A login in progress (no known session) while another context logs out.
#[test]
fn a_logout_during_a_refresh_of_a_context_that_knew_nothing_stays_a_logout() {
    let (managers, _, _, server, storage) = session(2);
    let (fresh, other) = (&managers[0], &managers[1]);
    block_on(async {
        let handlers = LogoutInRefresh::new(other, false, &server, &storage);
        let error = fresh.refresh(WAIT, &handlers).await.unwrap_err();
        assert_ended_during_refresh(&error, fresh).await;
    });
}

/// A logout that lands while this context's refresh is at the server: the
/// server's new tokens reach the app's storage (`save`), but they are the
/// logged-out session's. The error says so, and to remove them; a refusal
/// before any network call says nothing was refreshed.
#[test]
fn a_logout_during_a_refresh_says_the_saved_tokens_are_the_logged_out_sessions() {
    let (managers, _, _, server, storage) = session(2);
    let (a, other) = (&managers[0], &managers[1]);
    block_on(async {
        a.restore_session(&TokenServer::tokens(0)).await.unwrap();
        let handlers = LogoutInRefresh::new(other, false, &server, &storage);
        let error = a.refresh(WAIT, &handlers).await.unwrap_err();
        assert_ended_during_refresh(&error, a).await;
        assert_eq!(handlers.inner.network_calls.get(), 1);
        assert_eq!(*storage.0.borrow(), TokenServer::tokens(1), "saved");
        let message = error.to_string();
        assert!(
            message.contains("during this refresh") && message.contains("remove them"),
            "{message}"
        );
        // Another refresh of the same context is refused before any call.
        a.restore_session(&TokenServer::tokens(0)).await.unwrap();
        other.on_logout().await.unwrap();
        let handlers = Handlers::new(&server, &storage);
        let error = a.refresh(WAIT, &handlers).await.unwrap_err();
        assert!(matches!(error.kind(), ErrorKind::LoggedOut), "{error:?}");
        assert_eq!(handlers.network_calls.get(), 0);
        assert!(error.to_string().contains("nothing was refreshed"));
    });
}

/// A logout of the refreshing context itself (it does not wait for the
/// lock) after the server issued the tokens is one during the refresh too:
/// the error carries the tokens `save()` stored.
#[test]
fn a_logout_of_this_context_during_its_refresh_carries_the_saved_tokens() {
    let (manager, _) = manager();
    let (server, storage) = (TokenServer::default(), AppStorage::default());
    block_on(async {
        manager
            .restore_session(&TokenServer::tokens(0))
            .await
            .unwrap();
        let handlers = LogoutInRefresh::new(&manager, false, &server, &storage);
        let error = manager.refresh(WAIT, &handlers).await.unwrap_err();
        assert_ended_during_refresh(&error, &manager).await;
    });
}

/// A refresh that fails (another context's logout revoked the grant, say)
/// and then finds that logout is a `LoggedOut` at once: no reload, no
/// pause.
#[test]
fn a_failed_refresh_that_finds_a_logout_reports_it_at_once() {
    let (managers, _, _, server, storage) = session(2);
    let (a, other) = (&managers[0], &managers[1]);
    block_on(async {
        a.restore_session(&TokenServer::tokens(0)).await.unwrap();
        let handlers = LogoutInRefresh::new(other, true, &server, &storage);
        let error = a.refresh(WAIT, &handlers).await.unwrap_err();
        assert!(matches!(error.kind(), ErrorKind::LoggedOut), "{error:?}");
        assert_eq!(handlers.reloads.get(), 0, "reloaded after the logout");
    });
}

/// Handlers for a refresh whose write is fenced (another context writes
/// right after `save`), and that log this context out at their first
/// reload: during the adoption that follows.
struct LogoutWhileAdopting<'a> {
    this: &'a Manager,
    store: MemoryStore,
    inner: Handlers,
}

impl RefreshHandlers for LogoutWhileAdopting<'_> {
    type Tokens = SessionTokens;
    async fn refresh(&self) -> Result<SessionTokens, RefreshError> {
        self.inner.refresh().await
    }
    async fn reload(&self) -> Result<SessionTokens, RefreshError> {
        if self.this.known_session_hash().is_some() {
            self.this.on_logout().await?;
        }
        self.inner.reload().await
    }
    async fn save(&self, tokens: &SessionTokens) -> Result<(), RefreshError> {
        self.inner.save(tokens).await?;
        self.store.set_record(MemoryRecord::Valid(StoredState {
            hash: Some(SessionHash::of(&TokenServer::tokens(7))),
            generation: 5,
            logouts: 0,
        }));
        Ok(())
    }
}

/// This context's own logout during the adoption after a fenced write came
/// after the server issued the tokens too: the error carries them.
#[test]
fn a_logout_of_this_context_while_it_adopts_after_its_refresh_carries_the_tokens() {
    let (manager, store) = manager();
    let (server, storage) = (TokenServer::default(), AppStorage::default());
    block_on(async {
        manager
            .restore_session(&TokenServer::tokens(0))
            .await
            .unwrap();
        let handlers = LogoutWhileAdopting {
            this: &manager,
            store: store.clone(),
            inner: Handlers::new(&server, &storage),
        };
        let error = manager.refresh(WAIT, &handlers).await.unwrap_err();
        assert_ended_during_refresh(&error, &manager).await;
    });
}
