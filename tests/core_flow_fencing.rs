//! Fencing and logout on the host: a stolen holder cannot clobber newer
//! tokens, a logout during a refresh stands, and a logout replaces a corrupt
//! record.
#![cfg(not(target_arch = "wasm32"))]

mod host;

use cross_tab_refresh::core::memory::MemoryRecord;
use cross_tab_refresh::core::{ErrorKind, SessionHash, StoredState};
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
                generation: 1
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
