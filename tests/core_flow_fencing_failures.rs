//! A fenced write followed by a failure on the host: whatever fails after
//! the refresh's write was fenced (the re-read, the adoption), the error
//! carries the tokens the server issued.
#![cfg(not(target_arch = "wasm32"))]

mod host;

use cross_tab_refresh::core::memory::{MemoryLock, MemoryStore};
use cross_tab_refresh::core::{
    ErrorKind, HashStore, RefreshError, RefreshHandlers, RefreshManager, SessionHash,
    SessionTokens, StoredState,
};
use futures::executor::block_on;
use host::*;

/// A store whose next operation fails once a conditional write was fenced:
/// the re-read that follows a fenced write fails.
#[derive(Clone)]
struct FailsAfterFence(MemoryStore);

impl HashStore for FailsAfterFence {
    async fn load(&self) -> Result<StoredState, RefreshError> {
        self.0.load().await
    }
    async fn store_if(
        &self,
        read: &StoredState,
        hash: &SessionHash,
    ) -> Result<StoredState, RefreshError> {
        let result = self.0.store_if(read, hash).await;
        if matches!(&result, Err(error) if matches!(error.kind(), ErrorKind::Fenced { .. })) {
            self.0.fail_next(1);
        }
        result
    }
    async fn tombstone(&self) -> Result<StoredState, RefreshError> {
        self.0.tombstone().await
    }
}

/// Handlers whose `save` lets another context steal the lock and store
/// other tokens: the write after it is fenced.
struct StolenDuringSave<S: HashStore> {
    inner: Handlers,
    thief: RefreshManager<MemoryLock, S>,
}

impl<S: HashStore> RefreshHandlers for StolenDuringSave<S> {
    type Tokens = SessionTokens;
    async fn refresh(&self) -> Result<SessionTokens, RefreshError> {
        self.inner.refresh().await
    }
    async fn reload(&self) -> Result<SessionTokens, RefreshError> {
        self.inner.reload().await
    }
    async fn save(&self, tokens: &SessionTokens) -> Result<(), RefreshError> {
        self.inner.save(tokens).await?;
        let guard = self.thief.spin_lock(STEAL).await?;
        guard.save_in_memory_and_db(&login_tokens()).await
    }
}

/// The error of a refresh whose write was fenced, after which something
/// else failed, carries the tokens the server issued: an app with no
/// `save` has them nowhere else.
fn assert_carries_tokens_1(error: &RefreshError, name: &str) {
    assert_eq!(error.name(), name, "{error}");
    assert_eq!(
        error.issued_tokens::<SessionTokens>(),
        Some(&TokenServer::tokens(1)),
        "{error}"
    );
}

#[test]
fn a_failed_read_after_a_fenced_write_hands_the_issued_tokens_back() {
    let (lock, store) = (
        MemoryLock::default(),
        FailsAfterFence(MemoryStore::default()),
    );
    let manager = RefreshManager::new(lock.clone(), store.clone());
    let (server, storage) = (TokenServer::default(), AppStorage::default());
    let handlers = StolenDuringSave {
        inner: Handlers::new(&server, &storage),
        thief: RefreshManager::new(lock, store),
    };
    block_on(async {
        manager
            .restore_session(&TokenServer::tokens(0))
            .await
            .unwrap();
        let error = manager.refresh(WAIT, &handlers).await.unwrap_err();
        assert_carries_tokens_1(&error, "StoreError");
    });
}

#[test]
fn a_failed_adoption_after_a_fenced_write_hands_the_issued_tokens_back() {
    let (managers, _, _, server, storage) = session(2);
    let mut inner = Handlers::new(&server, &storage);
    inner.fail_reload = true;
    let handlers = StolenDuringSave {
        inner,
        thief: managers[1].clone(),
    };
    block_on(async {
        managers[0]
            .restore_session(&TokenServer::tokens(0))
            .await
            .unwrap();
        let error = managers[0].refresh(WAIT, &handlers).await.unwrap_err();
        assert_carries_tokens_1(&error, "CallbackError");
    });
}
