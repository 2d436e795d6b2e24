//! The inventory of bad inputs and faults, its inputs: a zero lock timeout,
//! bad holder names, long and non-ASCII tokens, and records with bad
//! generations or formats. Each gets a named error (or the right hash), and
//! the library keeps working afterwards.

use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

use crate::support::*;

#[wasm_bindgen(module = "/tests/web/faults.js")]
extern "C" {
    #[wasm_bindgen(js_name = sha256Hex)]
    fn sha256_hex_js(text: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = hostileValues)]
    fn hostile_values(manager: &JsValue, options: &JsValue) -> js_sys::Promise;
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

/// A string with a lone surrogate has no UTF-8 form: refused, not read with
/// U+FFFD in its place (two such session names would share one record,
/// two such tokens one hash). Surrogate pairs (🔑 above) are fine.
#[wasm_bindgen_test]
async fn strings_with_a_lone_surrogate_are_refused() {
    let lone = |text: &str| js_sys::JSON::parse(text).unwrap();
    let session = Session::new();
    let options = session.options();
    js_sys::Reflect::set(&options, &s("session"), &lone(r#""s\ud800""#)).unwrap();
    let error = assert_error(open(options).await, "InvalidArgumentError");
    assert!(
        message(&error).contains("lone surrogate"),
        "{}",
        message(&error)
    );
    let tab = session.open().await;
    for tokens in [
        obj(&[("accessToken", lone(r#""a\udc00""#))]),
        obj(&[
            ("accessToken", s("a")),
            ("refreshToken", lone(r#""\ud800r""#)),
        ]),
    ] {
        let error = assert_error(
            done(tab.restore_session(tokens)).await,
            "InvalidArgumentError",
        );
        assert!(
            message(&error).contains("lone surrogate"),
            "{}",
            message(&error)
        );
    }
    assert!(tab.known_session_hash().is_null());
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

/// Values that throw when looked at (a revoked proxy, keys that cannot be
/// listed, a promise whose `then` is not a function) are bad inputs like
/// any other: a rejected promise with a named error, never an exception
/// thrown through the module (which would skip its cleanup: a refresh
/// would never settle and keep the lock).
#[wasm_bindgen_test]
async fn values_that_throw_when_looked_at_are_named_errors() {
    let session = Session::new();
    let tab = JsValue::from(session.open().await);
    let ends = JsFuture::from(hostile_values(&tab, &session.options()))
        .await
        .unwrap();
    let text = js_sys::JSON::stringify(&ends).unwrap().as_string().unwrap();
    let expected = [
        (
            "open(options whose keys cannot be listed)",
            "rejected InvalidArgumentError",
        ),
        (
            "open({ session: a revoked proxy })",
            "rejected InvalidArgumentError",
        ),
        (
            "spinLock({ signal: a revoked proxy })",
            "rejected InvalidArgumentError",
        ),
        (
            "restoreSession({ accessToken: a revoked proxy })",
            "rejected InvalidArgumentError",
        ),
        (
            "restoreSession(tokens whose refreshToken getter throws)",
            "rejected InvalidArgumentError",
        ),
        (
            "refresh(handlers whose save getter throws)",
            "rejected InvalidArgumentError",
        ),
        (
            "refresh() whose refresh returns a promise with a broken then",
            "rejected CallbackError",
        ),
        ("refresh() afterwards", "resolved"),
    ];
    for (call, end) in expected {
        assert_eq!(
            field(&ends, call).as_string().as_deref(),
            Some(end),
            "{call}: {text}"
        );
    }
}
