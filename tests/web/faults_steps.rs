//! Each step of reading and changing a record names itself in its error:
//! the plain read (`storedState()`), the read inside a save's transaction,
//! and the lease's read. The write and commit steps are in
//! faults_indexeddb.rs, with the faults that reach them.

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

use crate::support::*;

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
