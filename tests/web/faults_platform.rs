//! The inventory of bad inputs and faults, its platform part: a throwing
//! lock manager, no IndexedDB or no Web Locks, and a refresh callback that
//! hangs holding the lock. Each gets a named error, and the library keeps
//! working afterwards. Faults are injected by patching the platform's
//! prototypes for the length of one test (tests run one at a time).

use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

use crate::support::*;

#[wasm_bindgen(module = "/tests/web/watches.js")]
extern "C" {
    #[wasm_bindgen(js_name = lateGrantingLocks)]
    fn late_granting_locks(ms: u32) -> JsValue;
}

#[wasm_bindgen(module = "/tests/web/faults.js")]
extern "C" {
    #[wasm_bindgen(js_name = messageThatThrows)]
    fn message_that_throws(error: &JsValue) -> JsValue;
}

#[wasm_bindgen(module = "/src/web/browser.js")]
extern "C" {
    /// The library's own Web Locks request (`how` 0 queues, 1 only if free).
    #[wasm_bindgen(js_name = requestLock)]
    fn request_lock(locks: &JsValue, name: &str, how: u32) -> JsValue;
}

/// A request given up after the lock manager decided to grant it, before
/// the grant's callback runs (a timeout, an abort, close() or a dropped
/// future), still settles what its waiter awaited: a promise left pending
/// keeps the waiter's callbacks, and what they hold, for ever.
#[wasm_bindgen_test]
async fn a_request_given_up_just_before_its_grant_still_settles() {
    let late = late_granting_locks(20);
    for how in [0, 1] {
        let name = format!("late-grant-{how}");
        let request = request_lock(&field(&late, "locks"), &name, how);
        let granted: js_sys::Promise = field(&request, "granted").unchecked_into();
        field(&request, "abandon")
            .unchecked_into::<Function>()
            .call0(&request)
            .unwrap();
        let settled = JsFuture::from(within(&granted, 1_000)).await;
        assert!(
            settled.as_ref().is_ok_and(JsValue::is_null),
            "granted settled with {settled:?}"
        );
    }
    let grants = field(&late, "grants").unchecked_into::<Function>();
    assert_eq!(grants.call0(&JsValue::NULL).unwrap(), JsValue::from(2));
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

/// An only-if-free request after a release of this context waits for that
/// release to finish first; a lock manager that throws then must still
/// reject it (it has no timer that would end it).
#[wasm_bindgen_test]
async fn a_throwing_lock_manager_after_a_release_rejects_an_if_free_request() {
    let session = Session::new();
    let tab = session.open().await;
    lock_now(&tab).await.release();
    let restore = inject("navigator.locks.request throws SecurityError");
    let result = JsFuture::from(within(&tab.spin_lock(Some(timeout(0))), 2_000)).await;
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

/// The text a failure gets in the message of the error that reports it
/// (`StoreError`, a failed Web Locks request): an exception's name and
/// message, a message alone when there is no name, a string as it is, and
/// "unknown error" for anything else, also a value that throws when read.
#[wasm_bindgen_test]
fn a_failure_is_told_by_its_name_and_message_or_as_a_string() {
    use cross_tab_refresh::web::global::describe;
    let object = |message: &JsValue, name: &JsValue| {
        let value = js_sys::Object::new();
        Reflect::set(&value, &"message".into(), message).unwrap();
        Reflect::set(&value, &"name".into(), name).unwrap();
        JsValue::from(value)
    };
    let exception = web_sys::DomException::new_with_message_and_name(
        "storage is disabled",
        "InvalidStateError",
    )
    .unwrap();
    assert_eq!(
        describe(&exception),
        "InvalidStateError: storage is disabled"
    );
    assert_eq!(
        describe(&object(&"it broke".into(), &"".into())),
        "it broke"
    );
    assert_eq!(
        describe(&object(&"it broke".into(), &JsValue::UNDEFINED)),
        "it broke"
    );
    assert_eq!(describe(&object(&"it broke".into(), &7.into())), "it broke");
    assert_eq!(
        describe(&object(&7.into(), &"TypeError".into())),
        "unknown error"
    );
    assert_eq!(describe(&JsValue::from_str("plain words")), "plain words");
    assert_eq!(describe(&JsValue::from(42)), "unknown error");
    assert_eq!(describe(&JsValue::NULL), "unknown error");
    let throwing = message_that_throws(&js_sys::Error::new("no").into());
    assert_eq!(describe(&throwing), "unknown error");
}
