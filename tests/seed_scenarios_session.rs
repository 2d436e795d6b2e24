//! The seed's test module (matrix-rust-sdk's `cross_process.rs`), re-told
//! against the core with an in-memory lock and store standing in for SQLite:
//! restoring a session, finishing a login, logging out, and the hash's hex.
#![cfg(not(target_arch = "wasm32"))]

mod seed;

use cross_tab_refresh::core::SessionHash;
use futures::executor::block_on;
use seed::*;

#[test]
fn restore_session_lock() {
    block_on(async {
        let [client] = <[Manager; 1]>::try_from(contexts(1)).ok().unwrap();
        let tokens = next_tokens();
        // Restoring a session from the app's storage then saving it, as the
        // SDK's restore path does when the store is empty.
        client.restore_session(&tokens).await.unwrap();
        assert_eq!(client.known_session_hash(), Some(SessionHash::of(&tokens)));
        client
            .spin_lock(WAIT)
            .await
            .unwrap()
            .save_in_memory_and_db(&tokens)
            .await
            .unwrap();

        let guard = client.spin_lock(WAIT).await.unwrap();
        assert!(!guard.hash_mismatch());
        assert_eq!(guard.db_hash().as_ref(), Some(&SessionHash::of(&tokens)));
    });
}

#[test]
fn finish_login() {
    block_on(async {
        let [client] = <[Manager; 1]>::try_from(contexts(1)).ok().unwrap();
        let tokens = next_tokens();
        // Login finished: the tokens are saved, and the next lock sees no mismatch.
        client.restore_session(&tokens).await.unwrap();
        client
            .spin_lock(WAIT)
            .await
            .unwrap()
            .save_in_memory_and_db(&tokens)
            .await
            .unwrap();

        let guard = client.spin_lock(WAIT).await.unwrap();
        let hash = SessionHash::of(&tokens);
        assert_eq!(guard.db_hash().as_ref(), Some(&hash));
        assert_eq!(client.known_session_hash(), Some(hash));
        assert!(!guard.hash_mismatch());
    });
}

#[test]
fn logout() {
    block_on(async {
        let [client] = <[Manager; 1]>::try_from(contexts(1)).ok().unwrap();
        let tokens = next_tokens();
        client.restore_session(&tokens).await.unwrap();
        client
            .spin_lock(WAIT)
            .await
            .unwrap()
            .save_in_memory_and_db(&tokens)
            .await
            .unwrap();

        client.on_logout().await.unwrap();

        let guard = client.spin_lock(WAIT).await.unwrap();
        assert!(guard.db_hash().is_none());
        assert!(client.known_session_hash().is_none());
        assert!(!guard.hash_mismatch());
    });
}

#[test]
fn session_hash_to_hex() {
    assert_eq!(SessionHash::from_bytes(vec![]).to_hex(), "");
    let hash = SessionHash::from_bytes(vec![0x13, 0x37, 0x42, 0xde, 0xad, 0xca, 0xfe]);
    assert_eq!(hash.to_hex(), "0x133742deadcafe");
}
