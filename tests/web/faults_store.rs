//! The inventory of bad inputs and faults, its IndexedDB store part: a quota
//! error, an aborted transaction, a failing open and an `indexedDB` that
//! throws when the database reopens; also, reading the stored state without
//! the lock. Each fault gets a named error, and the library keeps working
//! afterwards (see `faults_indexeddb.rs` for upgrades and connections).

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

use crate::support::*;

#[wasm_bindgen(module = "/tests/web/faults.js")]
extern "C" {
    #[wasm_bindgen(js_name = indexedDBThrows)]
    fn indexed_db_throws() -> js_sys::Function;
}

#[wasm_bindgen_test]
async fn a_quota_error_on_write_is_a_store_error_and_nothing_changes() {
    let session = Session::new();
    let tab = session.open().await;
    let restore = inject("put throws QuotaExceededError");
    let guard = lock_now(&tab).await;
    let result = done(guard.save_in_memory_and_db(tokens("secret-a", None))).await;
    restore.call0(&JsValue::NULL).unwrap();
    let error = assert_error(result, "StoreError");
    assert_eq!(cause_name(&error), "QuotaExceededError");
    assert_step(&error, "writing the session record");
    assert!(tab.known_session_hash().is_null(), "memory unchanged");
    done(guard.save_in_memory_and_db(tokens("secret-a", None)))
        .await
        .unwrap();
}

#[wasm_bindgen_test]
async fn an_aborted_transaction_is_a_store_error_and_writes_nothing() {
    let session = Session::new();
    let tab = session.open().await;
    let restore = inject("put aborts its transaction");
    let guard = lock_now(&tab).await;
    let result = done(guard.save_in_memory_and_db(tokens("secret-a", None))).await;
    restore.call0(&JsValue::NULL).unwrap();
    let error = assert_error(result, "StoreError");
    assert_step(&error, "committing the session record");
    assert!(
        raw_record(&session.database, &session.session)
            .await
            .is_undefined(),
        "rolled back"
    );
    done(guard.save_in_memory_and_db(tokens("secret-a", None)))
        .await
        .unwrap();
}

/// A reopen of the database (its connection dropped: deletion makes the
/// library close it) with the fault `fail` injects (it returns the function
/// that takes it out): a `StoreError` whose cause is the exception named
/// `cause` and whose message names the step and `thrown`; the next call,
/// the fault out, goes on.
async fn assert_reopen_fails(fail: impl FnOnce() -> js_sys::Function, cause: &str, thrown: &str) {
    let session = Session::new();
    let tab = session.open().await;
    delete_database(&session.database).await.unwrap();
    let restore = fail();
    let result = lock(&tab, JsValue::UNDEFINED).await;
    restore.call0(&JsValue::NULL).unwrap();
    let error = assert_error(result, "StoreError");
    assert_eq!(cause_name(&error), cause);
    let expected = format!("opening the database: {cause}: {thrown}");
    assert!(message(&error).contains(&expected), "{}", message(&error));
    lock_now(&tab).await;
}

#[wasm_bindgen_test]
async fn a_failing_indexeddb_open_is_a_store_error_and_the_next_call_retries() {
    let fail = || inject("indexedDB.open throws InvalidStateError");
    assert_reopen_fails(fail, "InvalidStateError", "storage is disabled").await;
}

/// Reading `indexedDB` throws when the library reopens the database (the
/// page's storage was blocked meanwhile, say): a `StoreError` whose cause is
/// that exception, and the next call, with storage back, goes on.
#[wasm_bindgen_test]
async fn an_indexeddb_that_throws_when_read_is_a_store_error_with_its_exception() {
    assert_reopen_fails(indexed_db_throws, "SecurityError", "sandboxed").await;
}

#[wasm_bindgen_test]
async fn stored_state_reads_without_the_lock() {
    let session = Session::new();
    let tab = session.open().await;
    let empty = JsFuture::from(tab.stored_state()).await.unwrap();
    assert!(Reflect::get(&empty, &s("dbHash")).unwrap().is_null());
    assert_eq!(
        Reflect::get(&empty, &s("generation")).unwrap().as_f64(),
        Some(0.0)
    );
    let guard = lock_now(&tab).await;
    done(guard.save_in_memory_and_db(tokens("secret-a", None)))
        .await
        .unwrap();
    // Read while the lock is held: no waiting.
    let stored = JsFuture::from(tab.stored_state()).await.unwrap();
    assert_eq!(
        Reflect::get(&stored, &s("dbHash")).unwrap().as_string(),
        tab.known_session_hash().as_string()
    );
    assert_eq!(
        Reflect::get(&stored, &s("generation")).unwrap().as_f64(),
        Some(1.0)
    );
}
