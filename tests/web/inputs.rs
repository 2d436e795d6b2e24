//! Bad input and lifecycle: option and token validation, calls after
//! `close()`, and the getters' null values.

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

use crate::next;
use crate::support::*;

#[wasm_bindgen_test]
async fn bad_options_are_named_errors() {
    let db = s(&unique("db"));
    let cases: Vec<(JsValue, &str)> = vec![
        (JsValue::UNDEFINED, "options must be an object"),
        (s("session"), "options must be an object"),
        (obj(&[]), "session is required"),
        (obj(&[("session", s(""))]), "must not be empty"),
        (obj(&[("session", JsValue::from(42))]), "must be a string"),
        (obj(&[("session", s(&"x".repeat(1025)))]), "limit is 1024"),
        (
            obj(&[("session", s("a")), ("lock", s("mutex"))]),
            "options.lock must be",
        ),
        (
            obj(&[("session", s("a")), ("lockTimeoutMs", JsValue::from(-1))]),
            "lockTimeoutMs",
        ),
        (
            obj(&[
                ("session", s("a")),
                ("lockTimeoutMs", JsValue::from(f64::NAN)),
            ]),
            "lockTimeoutMs",
        ),
        (
            obj(&[
                ("session", s("a")),
                ("lockTimeoutMs", JsValue::from(f64::INFINITY)),
            ]),
            "lockTimeoutMs",
        ),
        (
            obj(&[
                ("session", s("a")),
                ("lockTimeoutMs", JsValue::from(2f64.powi(31))),
            ]),
            "lockTimeoutMs",
        ),
        (
            obj(&[("session", s("a")), ("lockTimeoutMs", s("5"))]),
            "must be a number",
        ),
        (
            obj(&[("session", s("a")), ("sesion", s("typo"))]),
            "unknown option \"sesion\"",
        ),
        (
            obj(&[("session", s("a")), ("databaseName", JsValue::from(1))]),
            "databaseName must be a string",
        ),
    ];
    for (options, expected) in cases {
        let error = assert_error(open(options).await, "InvalidArgumentError");
        assert!(
            message(&error).contains(expected),
            "{:?} should contain {expected:?}",
            message(&error)
        );
    }
    for lease_ms in [JsValue::from(50), JsValue::from(600_001), s("20000")] {
        let options = obj(&[
            ("session", s("a")),
            ("databaseName", db.clone()),
            ("leaseMs", lease_ms),
        ]);
        assert_error(open(options).await, "InvalidArgumentError");
    }
}

#[wasm_bindgen_test]
async fn bad_spin_lock_options_and_tokens_are_named_errors() {
    let session = Session::new();
    let tab = session.open().await;
    for (options, expected) in [
        (obj(&[("steal", s("no"))]), "steal must be a boolean"),
        (
            obj(&[("signal", obj(&[]))]),
            "signal must be an AbortSignal",
        ),
        (obj(&[("timeoutMs", s("5"))]), "timeoutMs must be a number"),
        (obj(&[("timeoutMs", JsValue::from(1.5))]), "whole number"),
        (
            obj(&[("steal", JsValue::TRUE), ("timeoutMs", JsValue::from(5))]),
            "cannot be combined",
        ),
        (JsValue::from(5), "must be an object"),
    ] {
        let error = assert_error(lock(&tab, options).await, "InvalidArgumentError");
        assert!(
            message(&error).contains(expected),
            "{:?} should contain {expected:?}",
            message(&error)
        );
    }
    for (bad, expected) in [
        (JsValue::NULL, "must be an object"),
        (obj(&[]), "accessToken must be a string"),
        (
            obj(&[("accessToken", JsValue::from(42))]),
            "accessToken must be a string",
        ),
        (obj(&[("accessToken", s(""))]), "must not be empty"),
        (
            obj(&[
                ("accessToken", s("secret-a")),
                ("refreshToken", JsValue::from(7)),
            ]),
            "refreshToken must be a string or null",
        ),
    ] {
        let error = assert_error(done(tab.restore_session(bad)).await, "InvalidArgumentError");
        assert!(
            message(&error).contains(expected),
            "{:?} should contain {expected:?}",
            message(&error)
        );
        assert!(
            !message(&error).contains("secret"),
            "tokens never appear in messages"
        );
    }
    let guard = lock_now(&tab).await;
    assert_error(
        done(guard.save_in_memory_and_db(obj(&[("accessToken", JsValue::from(1))]))).await,
        "InvalidArgumentError",
    );
    assert_error(
        done(guard.handle_mismatch(JsValue::UNDEFINED)).await,
        "InvalidArgumentError",
    );
    // Extra fields are ignored; a null refresh token means none.
    done(guard.save_in_memory_and_db(obj(&[
        ("accessToken", s("a")),
        ("refreshToken", JsValue::NULL),
        ("expiresIn", JsValue::from(300)),
    ])))
    .await
    .unwrap();
}

#[wasm_bindgen_test]
async fn calls_after_close_are_closed_errors_and_a_held_guard_still_releases() {
    let session = Session::new();
    let tab = session.open().await;
    let guard = lock_now(&tab).await;
    tab.close();
    tab.close();
    assert_error(lock(&tab, JsValue::UNDEFINED).await, "ClosedError");
    assert_error(done(tab.restore_session(next())).await, "ClosedError");
    assert_error(done(tab.on_logout()).await, "ClosedError");
    assert_error(
        done(guard.save_in_memory_and_db(next())).await,
        "ClosedError",
    );
    assert_eq!(tab.session(), session.session, "getters still answer");
    guard.release();
    assert!(lock_freed_within(&session.lock_name(), 1000, false).await);
}

#[wasm_bindgen_test]
async fn lock_kind_and_null_hashes() {
    let session = Session::new();
    let tab = session.open().await;
    assert_eq!(tab.lock_kind(), "web-locks");
    assert!(tab.known_session_hash().is_null());
    assert!(lock_now(&tab).await.db_hash().is_null());
    let value: JsValue = tab.into();
    assert!(
        Reflect::get(&value, &s("knownSessionHash"))
            .unwrap()
            .is_null(),
        "no hash is null, not undefined"
    );
}

#[wasm_bindgen_test]
async fn error_messages_name_the_javascript_call_that_helps() {
    // Where an error has one remedy, the message says what happened in the
    // core's words and names the remedy as a JavaScript call.
    let session = Session::new();
    let tab = session.open().await;
    let guard = lock_now(&tab).await;
    guard.release();
    let released = assert_error(
        done(guard.save_in_memory_and_db(next())).await,
        "GuardReleasedError",
    );
    put_raw_record(&session.database, &session.session, &s("not a record")).await;
    let unreadable = assert_error(
        lock(&tab, JsValue::UNDEFINED).await,
        "InvalidPreviousHashError",
    );
    let js_tab = wasm_bindgen_futures::JsFuture::from(
        cross_tab_refresh::api::CrossTabRefreshManager::open(Session::new().options()),
    )
    .await
    .unwrap();
    let reentrant = reentrant_refresh(&js_tab, &next());
    let reentrant = assert_error(
        wasm_bindgen_futures::JsFuture::from(within(&reentrant, 3_000)).await,
        "CallbackError",
    );
    let reentrant = Reflect::get(&reentrant, &s("cause")).unwrap();
    tab.close();
    let closed = assert_error(lock(&tab, JsValue::UNDEFINED).await, "ClosedError");
    for (error, what, call) in [
        (released, "was released", "take a new one with spinLock()"),
        (unreadable, "is unreadable", "call onLogout()"),
        (
            reentrant,
            "would wait for itself",
            "instead of calling refresh()",
        ),
        (closed, "is closed", "CrossTabRefreshManager.open()"),
    ] {
        let text = message(&error);
        assert!(text.contains(what), "says what happened: {text}");
        assert!(
            text.ends_with(call) || text.contains(call),
            "names {call}: {text}"
        );
        for core_words in [
            "take the lock again",
            "logging out replaces",
            "open a new manager",
        ] {
            assert!(
                !text.contains(core_words),
                "the core's remedy is replaced: {text}"
            );
        }
    }
}
