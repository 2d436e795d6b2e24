//! Each step of reading and changing a record names itself in its error:
//! the plain read (`storedState()`), starting a save's transaction, the read
//! inside it, a write that fails in its request's error event, and the
//! lease's read; an error the change itself decided (a fenced save) is not
//! replaced by the failure of its empty transaction. Synchronous write
//! failures and an aborted commit are in faults_store.rs.

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

use crate::support::*;
use crate::{next, prev};

#[wasm_bindgen_test]
async fn a_failing_plain_read_is_a_store_error_naming_the_read() {
    let session = Session::new();
    let tab = session.open().await;
    let restore = inject("get throws InvalidStateError");
    let result = JsFuture::from(tab.stored_state()).await;
    restore.call0(&JsValue::NULL).unwrap();
    let error = assert_error(result, "StoreError");
    assert_eq!(cause_name(&error), "InvalidStateError");
    assert_step(&error, "reading the session record");
    // The next read works.
    let stored = JsFuture::from(tab.stored_state()).await.unwrap();
    assert!(Reflect::get(&stored, &s("dbHash")).unwrap().is_null());
}

#[wasm_bindgen_test]
async fn a_failing_read_in_a_save_writes_nothing_and_names_the_read() {
    let session = Session::new();
    let tab = session.open().await;
    let guard = lock_now(&tab).await;
    let restore = inject("get throws InvalidStateError");
    let result = done(guard.save_in_memory_and_db(tokens("secret-a", None))).await;
    restore.call0(&JsValue::NULL).unwrap();
    let error = assert_error(result, "StoreError");
    assert_eq!(cause_name(&error), "InvalidStateError");
    assert_step(&error, "reading the session record");
    assert!(tab.known_session_hash().is_null(), "memory unchanged");
    assert!(
        raw_record(&session.database, &session.session)
            .await
            .is_undefined(),
        "nothing written"
    );
    done(guard.save_in_memory_and_db(tokens("secret-a", None)))
        .await
        .unwrap();
}

#[wasm_bindgen_test]
async fn a_failing_lease_read_is_a_store_error_naming_the_lease() {
    let session = Session::new();
    let options = session.options();
    Reflect::set(&options, &s("lock"), &s("lease")).unwrap();
    let tab = open(options).await.unwrap();
    let restore = inject("get throws InvalidStateError");
    let result = lock(&tab, JsValue::UNDEFINED).await;
    restore.call0(&JsValue::NULL).unwrap();
    let error = assert_error(result, "StoreError");
    assert_eq!(cause_name(&error), "InvalidStateError");
    assert_step(&error, "reading the lease");
    lock_now(&tab).await;
}

#[wasm_bindgen_test]
async fn a_transaction_that_cannot_start_names_the_record() {
    let session = Session::new();
    let tab = session.open().await;
    let guard = lock_now(&tab).await;
    let restore = inject("transaction throws InvalidStateError");
    let result = done(guard.save_in_memory_and_db(tokens("secret-a", None))).await;
    restore.call0(&JsValue::NULL).unwrap();
    let error = assert_error(result, "StoreError");
    assert_eq!(cause_name(&error), "InvalidStateError");
    assert_step(&error, "starting a transaction on the session record");
    assert!(tab.known_session_hash().is_null(), "memory unchanged");
    done(guard.save_in_memory_and_db(tokens("secret-a", None)))
        .await
        .unwrap();
}

#[wasm_bindgen_test]
async fn a_write_failing_in_its_request_names_the_write() {
    let session = Session::new();
    let tab = session.open().await;
    let guard = lock_now(&tab).await;
    done(guard.save_in_memory_and_db(prev())).await.unwrap();
    let before = raw_record(&session.database, &session.session).await;
    let known = tab.known_session_hash();
    let restore = inject("put fails when a record exists (ConstraintError)");
    let result = done(guard.save_in_memory_and_db(next())).await;
    restore.call0(&JsValue::NULL).unwrap();
    let error = assert_error(result, "StoreError");
    assert_eq!(cause_name(&error), "ConstraintError");
    assert_step(&error, "writing the session record");
    assert_eq!(tab.known_session_hash(), known, "memory unchanged");
    let after = raw_record(&session.database, &session.session).await;
    assert_eq!(
        Reflect::get(&after, &s("generation")).unwrap(),
        Reflect::get(&before, &s("generation")).unwrap(),
        "nothing written"
    );
    done(guard.save_in_memory_and_db(next())).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_fenced_save_stays_fenced_when_its_empty_transaction_aborts() {
    let session = Session::new();
    let (a, b) = (session.open().await, session.open().await);
    let stale = lock_now(&a).await;
    let guard_b = lock(&b, obj(&[("steal", JsValue::TRUE)])).await.unwrap();
    done(guard_b.save_in_memory_and_db(next())).await.unwrap();
    let restore = inject("commit aborts the transaction");
    let result = done(stale.save_in_memory_and_db(prev())).await;
    restore.call0(&JsValue::NULL).unwrap();
    assert_error(result, "FencedError");
    guard_b.release();
    let guard = lock_now(&b).await;
    assert_eq!(
        guard.db_hash().as_string(),
        b.known_session_hash().as_string(),
        "the stored hash is still the one b saved"
    );
}
