//! Setups the core_flow_* and core_mechanisms_* tests share: lock options,
//! managers on one lock and store, the refresh flow as a task, and polling
//! a future once.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use cross_tab_refresh::core::memory::{MemoryLock, MemoryLockOptions, MemoryRecord, MemoryStore};
use cross_tab_refresh::core::{
    ErrorKind, RefreshError, RefreshManager, RefreshOutcome, SessionHash, SessionTokens,
};

use super::{AppStorage, Manager, TokenServer};

/// Waits for the lock.
pub const WAIT: MemoryLockOptions = MemoryLockOptions {
    steal: false,
    if_free: false,
};

/// Takes the lock from whoever holds it.
pub const STEAL: MemoryLockOptions = MemoryLockOptions {
    steal: true,
    if_free: false,
};

/// What a refresh returns, and a refresh as a task for [`super::run_interleaved`].
pub type Flow = Result<(RefreshOutcome, SessionTokens), RefreshError>;
pub type Task<'a> = Pin<Box<dyn Future<Output = Flow> + 'a>>;

/// Polls `future` once, with a waker that does nothing.
pub fn poll_once<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

/// One manager on a lock and a store of its own, and that store.
pub fn manager() -> (Manager, MemoryStore) {
    let store = MemoryStore::default();
    (
        RefreshManager::new(MemoryLock::default(), store.clone()),
        store,
    )
}

/// `n` managers on one lock and one store (contexts of one session), the
/// token server and the app's storage they share.
pub fn session(
    n: usize,
) -> (
    Vec<Manager>,
    MemoryLock,
    MemoryStore,
    TokenServer,
    AppStorage,
) {
    let (lock, store) = (MemoryLock::default(), MemoryStore::default());
    let managers = (0..n)
        .map(|_| RefreshManager::new(lock.clone(), store.clone()))
        .collect();
    (
        managers,
        lock,
        store,
        TokenServer::default(),
        AppStorage::default(),
    )
}

/// `error` is a logout during a refresh that got tokens 1, carrying them.
pub fn assert_ended_with_tokens_1(error: &RefreshError) {
    assert!(
        matches!(error.kind(), ErrorKind::LoggedOutDuringRefresh { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.ended_tokens::<SessionTokens>(),
        Some(&TokenServer::tokens(1))
    );
}

/// The tokens of a new login, of another grant than the refreshes'.
pub fn login_tokens() -> SessionTokens {
    SessionTokens::new("access-login", Some("refresh-login".into()))
}

/// Takes the lock of `manager`, stores the hash of `tokens` and lets go.
pub async fn store_tokens(manager: &Manager, tokens: &SessionTokens) {
    let guard = manager.spin_lock(WAIT).await.unwrap();
    guard.save_in_memory_and_db(tokens).await.unwrap();
}

/// `storer` stores tokens 0 under the lock, `restorer` restores them: both
/// know them.
pub async fn both_know_tokens_0(restorer: &Manager, storer: &Manager) {
    store_tokens(storer, &TokenServer::tokens(0)).await;
    restorer
        .restore_session(&TokenServer::tokens(0))
        .await
        .unwrap();
}

/// A new login in `context`: restored, then its hash stored under the lock.
pub async fn log_in_anew(context: &Manager, tokens: &SessionTokens) {
    context.restore_session(tokens).await.unwrap();
    store_tokens(context, tokens).await;
}

/// The hash in the store; panics if the record is corrupt.
pub fn stored_hash(store: &MemoryStore) -> Option<SessionHash> {
    match store.record() {
        MemoryRecord::Valid(state) => state.hash,
        MemoryRecord::Corrupt(reason) => panic!("corrupt store: {reason}"),
    }
}
