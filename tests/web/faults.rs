//! The inventory of bad inputs and faults: each gets a named error, and the
//! library keeps working afterwards. Faults are injected by patching the
//! platform's prototypes for the length of one test (tests run one at a time).

use js_sys::{Function, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

use crate::support::*;

#[wasm_bindgen(module = "/tests/web/faults.js")]
extern "C" {
    #[wasm_bindgen(js_name = sha256Hex)]
    fn sha256_hex_js(text: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = upgradeDatabase)]
    fn upgrade_database(database: &str, version: u32, store: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = storesAndVersion)]
    fn stores_and_version(database: &str) -> js_sys::Promise;
}

fn cause_name(error: &JsValue) -> String {
    error_name(&Reflect::get(error, &s("cause")).unwrap())
}

async fn sha256_hex(text: &JsValue) -> String {
    JsFuture::from(sha256_hex_js(text))
        .await
        .unwrap()
        .as_string()
        .unwrap()
}

#[wasm_bindgen_test]
async fn a_zero_lock_timeout_takes_the_lock_only_if_free() {
    let session = Session::new();
    let options = obj(&[
        ("session", s(&session.session)),
        ("databaseName", s(&session.database)),
        ("lockTimeoutMs", JsValue::from(0)),
    ]);
    let tab = open(options).await.unwrap();
    let guard = lock_now(&tab).await;
    assert_error(lock(&tab, JsValue::UNDEFINED).await, "LockTimeoutError");
    guard.release();
    assert!(lock_freed_within(&session.lock_name(), 1000, false).await);
    lock_now(&tab).await;
}

#[wasm_bindgen_test]
async fn bad_holder_names_are_refused() {
    for (holder, expected) in [
        (JsValue::from(7), "holder must be a string"),
        (s(""), "must not be empty"),
        (s(&"h".repeat(2000)), "limit is 1024"),
    ] {
        let error = assert_error(
            open(obj(&[("session", s("a")), ("holder", holder)])).await,
            "InvalidArgumentError",
        );
        assert!(message(&error).contains(expected), "{}", message(&error));
    }
}

#[wasm_bindgen_test]
async fn long_and_non_ascii_tokens_hash_as_utf8() {
    let session = Session::new();
    let tab = session.open().await;
    let long = s(&"x".repeat(1 << 20));
    done(tab.restore_session(obj(&[("accessToken", long.clone())])))
        .await
        .unwrap();
    assert_eq!(
        tab.known_session_hash().as_string().unwrap(),
        sha256_hex(&long).await
    );
    done(tab.restore_session(tokens("clé-ü-日本", Some("🔑"))))
        .await
        .unwrap();
    assert_eq!(
        tab.known_session_hash().as_string().unwrap(),
        sha256_hex(&s("clé-ü-日本🔑")).await
    );
}

#[wasm_bindgen_test]
async fn bad_generations_and_formats_are_invalid_previous_hashes() {
    let session = Session::new();
    let tab = session.open().await;
    let hash = || JsValue::from(Uint8Array::new_with_length(32));
    for (generation, format, why) in [
        (
            JsValue::from(-1),
            JsValue::from(1),
            "generation is the number -1",
        ),
        (
            JsValue::from(1.5),
            JsValue::from(1),
            "generation is a fractional number",
        ),
        (
            JsValue::from(0),
            JsValue::from(1),
            "generation is the number 0",
        ),
        (s("3"), JsValue::from(1), "generation is a string"),
        (
            JsValue::from(1),
            JsValue::UNDEFINED,
            "record format is missing",
        ),
    ] {
        let record = obj(&[
            ("format", format),
            ("hash", hash()),
            ("generation", generation),
        ]);
        put_raw_record(&session.database, &session.session, &record).await;
        let error = assert_error(
            lock(&tab, JsValue::UNDEFINED).await,
            "InvalidPreviousHashError",
        );
        assert!(
            message(&error).contains(why),
            "{} should say {why}",
            message(&error)
        );
        assert_error(done(tab.stored_state()).await, "InvalidPreviousHashError");
    }
    done(tab.on_logout()).await.unwrap();
    lock_now(&tab).await;
}

#[wasm_bindgen_test]
async fn another_connection_upgrading_the_database_is_not_blocked() {
    let session = Session::new();
    let tab = session.open().await;
    let guard = lock_now(&tab).await;
    done(guard.save_in_memory_and_db(tokens("secret-a", None)))
        .await
        .unwrap();
    guard.release();
    // Another connection (a newer app version, say) upgrades the database.
    let upgraded = JsFuture::from(upgrade_database(&session.database, 7, "something-else")).await;
    assert!(upgraded.is_ok(), "the upgrade was blocked: {upgraded:?}");
    // The library reopens at the new version and finds its record.
    let guard = lock_now(&tab).await;
    assert_eq!(
        guard.db_hash().as_string(),
        tab.known_session_hash().as_string()
    );
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
    assert_error(result, "StoreError");
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

#[wasm_bindgen_test]
async fn a_failing_indexeddb_open_is_a_store_error_and_the_next_call_retries() {
    let session = Session::new();
    let tab = session.open().await;
    // Drop the connection (deletion makes the library close it), then make opening fail.
    delete_database(&session.database).await.unwrap();
    let restore = inject("indexedDB.open throws InvalidStateError");
    let result = lock(&tab, JsValue::UNDEFINED).await;
    restore.call0(&JsValue::NULL).unwrap();
    let error = assert_error(result, "StoreError");
    // indexed_db_futures drops the thrown exception; the message says what failed.
    assert!(
        message(&error).contains("indexedDB.open threw"),
        "{}",
        message(&error)
    );
    lock_now(&tab).await;
}

#[wasm_bindgen_test]
async fn a_throwing_lock_manager_is_not_supported() {
    let session = Session::new();
    let tab = session.open().await;
    let restore = inject("navigator.locks.request throws SecurityError");
    let result = lock(&tab, JsValue::UNDEFINED).await;
    restore.call0(&JsValue::NULL).unwrap();
    let error = assert_error(result, "NotSupportedError");
    assert_eq!(cause_name(&error), "SecurityError");
    lock_now(&tab).await;
}

#[wasm_bindgen_test]
async fn no_indexeddb_or_no_web_locks_is_not_supported() {
    let session = Session::new();
    let restore = inject("no indexedDB");
    let result = session_open(&session).await;
    restore.call0(&JsValue::NULL).unwrap();
    let error = assert_error(result, "NotSupportedError");
    assert!(message(&error).contains("IndexedDB"), "{}", message(&error));

    // Without Web Locks, "web-locks" is refused ("auto" takes the lease lock: see lease.rs).
    let options = session.options();
    Reflect::set(&options, &s("lock"), &s("web-locks")).unwrap();
    let restore = inject("no navigator.locks");
    let result = open(options).await;
    restore.call0(&JsValue::NULL).unwrap();
    let error = assert_error(result, "NotSupportedError");
    assert!(
        message(&error).contains("secure context"),
        "{}",
        message(&error)
    );
}

async fn session_open(
    session: &Session,
) -> Result<cross_tab_refresh::api::CrossTabRefreshManager, JsValue> {
    open(session.options()).await
}

#[wasm_bindgen_test]
async fn a_hung_refresh_is_bounded_by_the_others_timeout_and_its_late_write_is_fenced() {
    // 1. The hung tab's refresh callback is entered, and hangs (lock held).
    // 2. The other tab's refresh times out after its lockTimeoutMs.
    // 3. The other tab steals the lock and stores tokens b.
    // 4. The hung callback resolves at last, with tokens of its own: its
    //    write is fenced, it adopts b, and the store keeps b.
    let session = Session::new();
    let hung = session.open().await;
    let options = obj(&[
        ("session", s(&session.session)),
        ("databaseName", s(&session.database)),
        ("lockTimeoutMs", JsValue::from(200)),
    ]);
    let other = open(options).await.unwrap();
    let gated = gated_handlers(&tokens("secret-late", None), &tokens("secret-b", None));
    let pending = JsFuture::from(hung.refresh(field(&gated, "handlers")));
    let entered: js_sys::Promise = field(&gated, "entered").unchecked_into();
    let others = async {
        JsFuture::from(entered).await.unwrap();
        let handlers = handlers_named("refresh returns an access token");
        assert_error(
            JsFuture::from(other.refresh(handlers)).await,
            "LockTimeoutError",
        );
        // The way out: steal the lock.
        let guard = lock(&other, obj(&[("steal", JsValue::TRUE)]))
            .await
            .unwrap();
        done(guard.save_in_memory_and_db(tokens("secret-b", None)))
            .await
            .unwrap();
        guard.release();
        let open: Function = field(&gated, "open").unchecked_into();
        open.call0(&JsValue::NULL).unwrap();
    };
    let (late, ()) = futures::join!(pending, others);
    let late = late.unwrap_or_else(|e| panic!("the late refresh failed: {}", describe(&e)));
    assert_eq!(
        field(&late, "outcome"),
        s("adopted"),
        "its write was fenced"
    );
    assert_eq!(field(&field(&late, "tokens"), "accessToken"), s("secret-b"));
    let stored = JsFuture::from(other.stored_state()).await.unwrap();
    assert_eq!(
        field(&stored, "dbHash").as_string(),
        other.known_session_hash().as_string(),
        "the store keeps b"
    );
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

#[wasm_bindgen_test]
async fn a_database_of_that_name_without_the_stores_gets_them_and_keeps_its_own() {
    let session = Session::new();
    // An app already has a database of that name, at version 3, holding
    // something else.
    let created = JsFuture::from(upgrade_database(&session.database, 3, "something-else")).await;
    assert!(created.is_ok(), "{created:?}");
    let tab = session.open().await;
    let guard = lock_now(&tab).await;
    done(guard.save_in_memory_and_db(tokens("secret-a", None)))
        .await
        .unwrap();
    guard.release();
    let record = raw_record(&session.database, &session.session).await;
    assert!(record.is_object(), "the record was written: {record:?}");
    let stores = JsFuture::from(stores_and_version(&session.database))
        .await
        .unwrap();
    assert_eq!(
        stores.as_string().unwrap(),
        "leases,sessions,something-else@4"
    );
}
