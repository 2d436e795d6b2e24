//! What the seed_scenarios_* tests share: the seed's two sets of tokens,
//! and several managers on one in-memory lock and store.
#![allow(dead_code)]

use cross_tab_refresh::core::memory::{MemoryLock, MemoryLockOptions, MemoryStore};
use cross_tab_refresh::core::{RefreshManager, SessionTokens};

pub type Manager = RefreshManager<MemoryLock, MemoryStore>;

pub fn prev_tokens() -> SessionTokens {
    SessionTokens::new("prev-access-token", Some("prev-refresh-token".to_owned()))
}

pub fn next_tokens() -> SessionTokens {
    SessionTokens::new("next-access-token", Some("next-refresh-token".to_owned()))
}

/// Several managers on one lock and one store: contexts of one session.
pub fn contexts(n: usize) -> Vec<Manager> {
    let (lock, store) = (MemoryLock::default(), MemoryStore::default());
    (0..n)
        .map(|_| RefreshManager::new(lock.clone(), store.clone()))
        .collect()
}

pub const WAIT: MemoryLockOptions = MemoryLockOptions {
    steal: false,
    if_free: false,
};
