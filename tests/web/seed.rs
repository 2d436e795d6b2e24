//! The seed's scenarios: restore, login, two locks in one context, three
//! tabs refreshing at once, logout, and a mismatch with nothing stored.

use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

use crate::support::*;
use crate::{hash_of, next, prev};

#[wasm_bindgen_test]
async fn restore_session_lock() {
    let session = Session::new();
    let tab = session.open().await;
    done(tab.restore_session(next())).await.unwrap();
    let hash = tab.known_session_hash().as_string().unwrap();
    assert!(hash.starts_with("0x") && hash.len() == 66, "{hash}");
    let guard = lock_now(&tab).await;
    done(guard.save_in_memory_and_db(next())).await.unwrap();
    guard.release();

    let guard = lock_now(&tab).await;
    assert!(!guard.hash_mismatch());
    assert_eq!(guard.db_hash().as_string(), Some(hash));
}

#[wasm_bindgen_test]
async fn finish_login_then_no_mismatch() {
    let session = Session::new();
    let tab = session.open().await;
    done(tab.restore_session(next())).await.unwrap();
    let guard = lock_now(&tab).await;
    assert!(!guard.hash_mismatch(), "an empty store is never a mismatch");
    assert_eq!(guard.db_hash().as_string(), None);
    done(guard.save_in_memory_and_db(next())).await.unwrap();
    guard.release();

    let guard = lock_now(&tab).await;
    assert_eq!(
        guard.db_hash().as_string(),
        tab.known_session_hash().as_string()
    );
    assert!(!guard.hash_mismatch());
}

#[wasm_bindgen_test]
async fn two_locks_in_one_context_are_exclusive() {
    // 1. One tab asks for the lock twice at once.
    // 2. The second request waits until the first guard is released.
    let session = Session::new();
    let tab = session.open().await;
    done(tab.restore_session(prev())).await.unwrap();
    let first = lock_now(&tab).await;
    let waiting = tab.spin_lock(Some(obj(&[("timeoutMs", JsValue::from(150))])));
    assert_error(
        settle::<cross_tab_refresh::api::RefreshLockGuard>(waiting).await,
        "LockTimeoutError",
    );
    done(first.save_in_memory_and_db(next())).await.unwrap();
    first.release();
    let second = lock_now(&tab).await;
    assert!(
        !second.hash_mismatch(),
        "the known hash moved with the save"
    );
}

#[wasm_bindgen_test]
async fn cross_context_concurrent_refresh() {
    // 1. Tabs 1 and 3 know the previous tokens; tab 2 is not restored yet.
    // 2. Tab 3 refreshes and saves the next tokens.
    // 3. Tab 2 restores stale tokens, sees the mismatch and trusts the reloaded ones.
    // 4. Tab 1 sees the mismatch, adopts the next tokens, and then no longer mismatches.
    let session = Session::new();
    let (tab1, tab2, tab3) = (
        session.open().await,
        session.open().await,
        session.open().await,
    );
    done(tab1.restore_session(prev())).await.unwrap();
    done(tab3.restore_session(prev())).await.unwrap();
    let next_hash = hash_of(&session, next()).await;
    let prev_hash = hash_of(&session, prev()).await;

    let guard = lock_now(&tab3).await;
    assert!(!guard.hash_mismatch());
    done(guard.save_in_memory_and_db(next())).await.unwrap();
    guard.release();
    let guard = lock_now(&tab3).await;
    assert_eq!(guard.db_hash().as_string(), Some(next_hash.clone()));
    assert_eq!(
        tab3.known_session_hash().as_string(),
        Some(next_hash.clone())
    );
    assert!(!guard.hash_mismatch());
    guard.release();

    done(tab2.restore_session(prev())).await.unwrap();
    let guard = lock_now(&tab2).await;
    assert!(guard.hash_mismatch());
    done(guard.handle_mismatch(next())).await.unwrap();
    guard.release();
    let guard = lock_now(&tab2).await;
    assert_eq!(guard.db_hash().as_string(), Some(next_hash.clone()));
    assert_eq!(
        tab2.known_session_hash().as_string(),
        Some(next_hash.clone())
    );
    assert!(!guard.hash_mismatch());
    guard.release();

    let guard = lock_now(&tab1).await;
    assert_eq!(guard.db_hash().as_string(), Some(next_hash.clone()));
    assert_eq!(tab1.known_session_hash().as_string(), Some(prev_hash));
    assert!(guard.hash_mismatch());
    done(guard.handle_mismatch(next())).await.unwrap();
    guard.release();
    let guard = lock_now(&tab1).await;
    assert_eq!(tab1.known_session_hash().as_string(), Some(next_hash));
    assert!(!guard.hash_mismatch());
}

#[wasm_bindgen_test]
async fn logout_clears_store_and_memory() {
    let session = Session::new();
    let (tab, other) = (session.open().await, session.open().await);
    done(tab.restore_session(next())).await.unwrap();
    let guard = lock_now(&tab).await;
    done(guard.save_in_memory_and_db(next())).await.unwrap();
    guard.release();

    done(tab.on_logout()).await.unwrap();
    assert_eq!(tab.known_session_hash().as_string(), None);
    let guard = lock_now(&tab).await;
    assert_eq!(guard.db_hash().as_string(), None);
    assert!(!guard.hash_mismatch());
    guard.release();
    let guard = lock_now(&other).await;
    assert_eq!(
        guard.db_hash().as_string(),
        None,
        "other tabs see the logout too"
    );
}

#[wasm_bindgen_test]
async fn handle_mismatch_with_nothing_stored_writes_nothing() {
    let session = Session::new();
    let tab = session.open().await;
    let guard = lock_now(&tab).await;
    done(guard.handle_mismatch(next())).await.unwrap();
    assert!(
        raw_record(&session.database, &session.session)
            .await
            .is_undefined()
    );
    assert_eq!(
        tab.known_session_hash().as_string(),
        Some(hash_of(&session, next()).await)
    );
}
