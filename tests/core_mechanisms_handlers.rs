//! The manager around its handlers, on the host: a failed save hands the
//! tokens back, a re-entrant refresh is refused, a handler sees that it is
//! inside one, and outcomes read as the JS strings.
#![cfg(not(target_arch = "wasm32"))]

mod host;

use cross_tab_refresh::core::memory::MemoryLockOptions;
use cross_tab_refresh::core::{
    Cause, ErrorKind, RefreshError, RefreshHandlers, RefreshOutcome, SessionHash, SessionTokens,
};
use futures::executor::block_on;
use host::*;

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
        Err(ErrorKind::Callback {
            callback: "save",
            cause: Some(Cause::new("quota exceeded")),
            tokens: None,
        }
        .into())
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
        Err(ErrorKind::Store {
            message: "disk full".to_owned(),
            cause: None,
        }
        .into())
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
            error.kind(),
            ErrorKind::Callback {
                callback: "save",
                ..
            }
        ));
        let original = error.cause().and_then(|c| c.downcast_ref::<RefreshError>());
        assert_eq!(original.map(|e| e.name()), Some("StoreError"));
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
