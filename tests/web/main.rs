//! Browser tests: the seed's scenarios and the lock's contract against real
//! IndexedDB and Web Locks. Several managers in one page stand in for tabs;
//! a dedicated worker stands in for another context holding the lock.
#![cfg(target_arch = "wasm32")]

mod faults;
mod flow;
mod lease;
mod regressions;
mod rust_api;
mod support;

use js_sys::{Reflect, Uint8Array};
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;
use web_sys::AbortController;

wasm_bindgen_test_configure!(run_in_browser);

const PREV: (&str, &str) = ("prev-access-token", "prev-refresh-token");
const NEXT: (&str, &str) = ("next-access-token", "next-refresh-token");

fn prev() -> JsValue {
    tokens(PREV.0, Some(PREV.1))
}
fn next() -> JsValue {
    tokens(NEXT.0, Some(NEXT.1))
}

/// The hash of the tokens as a context sees it after restoring them.
async fn hash_of(session: &Session, tokens: JsValue) -> String {
    let probe = session.open().await;
    done(probe.restore_session(tokens)).await.unwrap();
    let hash = probe.known_session_hash().as_string().unwrap();
    probe.close();
    hash
}

// ---- the seed's scenarios ------------------------------------------------

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

// ---- the store ----------------------------------------------------------

#[wasm_bindgen_test]
async fn a_save_lands_in_indexeddb_with_a_growing_generation() {
    let session = Session::new();
    let tab = session.open().await;
    let guard = lock_now(&tab).await;
    done(guard.save_in_memory_and_db(prev())).await.unwrap();
    done(guard.save_in_memory_and_db(next())).await.unwrap();
    guard.release();

    let record = raw_record(&session.database, &session.session).await;
    let field = |key: &str| Reflect::get(&record, &s(key)).unwrap();
    assert_eq!(field("format").as_f64(), Some(1.0));
    assert_eq!(field("generation").as_f64(), Some(2.0));
    let bytes = field("hash").dyn_into::<Uint8Array>().unwrap().to_vec();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        format!("0x{hex}"),
        tab.known_session_hash().as_string().unwrap()
    );
    for key in ["accessToken", "refreshToken"] {
        assert!(field(key).is_undefined());
    }
    let text = js_sys::JSON::stringify(&record)
        .unwrap()
        .as_string()
        .unwrap();
    assert!(
        !text.contains("access-token") && !text.contains("refresh-token"),
        "{text}"
    );

    done(tab.on_logout()).await.unwrap();
    let record = raw_record(&session.database, &session.session).await;
    assert!(Reflect::get(&record, &s("hash")).unwrap().is_null());
    assert_eq!(
        Reflect::get(&record, &s("generation")).unwrap().as_f64(),
        Some(3.0)
    );
}

#[wasm_bindgen_test]
async fn hash_matches_the_seed() {
    // SHA-256("ab") and SHA-256("abc"), as computed by the seed's Rust.
    let session = Session::new();
    assert_eq!(
        hash_of(&session, tokens("a", Some("b"))).await,
        "0xfb8e20fc2e4c3f248c60c39bd652f3c1347298bb977b8b4d5903b85055620603"
    );
    assert_eq!(
        hash_of(&session, tokens("abc", None)).await,
        "0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        hash_of(&session, tokens("ab", None)).await,
        hash_of(&session, tokens("a", Some("b"))).await
    );
}

#[wasm_bindgen_test]
async fn a_stale_guard_is_fenced_after_a_steal() {
    // 1. Tab A takes the lock and hangs.
    // 2. Tab B steals the lock and saves new tokens.
    // 3. A's late save is refused with FencedError; the stored hash is B's.
    let session = Session::new();
    let (a, b) = (session.open().await, session.open().await);
    let guard_a = lock_now(&a).await;
    let guard_b = lock(&b, obj(&[("steal", JsValue::TRUE)])).await.unwrap();
    done(guard_b.save_in_memory_and_db(next())).await.unwrap();
    let error = assert_error(
        done(guard_a.save_in_memory_and_db(prev())).await,
        "FencedError",
    );
    assert!(message(&error).contains("generation"));
    guard_b.release();
    // A drops its stale guard (its turn in this tab), then catches up.
    guard_a.release();
    let guard = lock_now(&a).await;
    assert_eq!(
        guard.db_hash().as_string(),
        b.known_session_hash().as_string()
    );
}

#[wasm_bindgen_test]
async fn logout_fences_a_guard_held_elsewhere() {
    let session = Session::new();
    let (a, b) = (session.open().await, session.open().await);
    let guard = lock_now(&a).await;
    done(b.on_logout()).await.unwrap();
    assert_error(
        done(guard.save_in_memory_and_db(next())).await,
        "FencedError",
    );
    let record = raw_record(&session.database, &session.session).await;
    assert!(
        Reflect::get(&record, &s("hash")).unwrap().is_null(),
        "the session stays logged out"
    );
}

#[wasm_bindgen_test]
async fn an_unreadable_record_is_reported_and_logout_replaces_it() {
    let session = Session::new();
    let tab = session.open().await;
    for (bad, why) in [
        (s("not an object"), "not an object"),
        (
            obj(&[
                ("format", JsValue::from(1)),
                ("hash", s("0xabc")),
                ("generation", JsValue::from(1)),
            ]),
            "hash is a string",
        ),
        (
            obj(&[
                ("format", JsValue::from(1)),
                ("hash", Uint8Array::new_with_length(5).into()),
                ("generation", JsValue::from(1)),
            ]),
            "5 bytes",
        ),
        (
            obj(&[("format", JsValue::from(1)), ("hash", JsValue::NULL)]),
            "generation is missing",
        ),
        (
            obj(&[
                ("format", JsValue::from(2)),
                ("hash", JsValue::NULL),
                ("generation", JsValue::from(1)),
            ]),
            "newer",
        ),
    ] {
        put_raw_record(&session.database, &session.session, &bad).await;
        let error = assert_error(
            lock(&tab, JsValue::UNDEFINED).await,
            "InvalidPreviousHashError",
        );
        assert!(
            message(&error).contains(why),
            "{} should mention {why}",
            message(&error)
        );
        assert!(message(&error).contains("onLogout"));
    }
    done(tab.on_logout()).await.unwrap();
    let guard = lock_now(&tab).await;
    assert_eq!(guard.db_hash().as_string(), None);
    done(guard.save_in_memory_and_db(next())).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_deleted_database_is_not_blocked_and_comes_back() {
    let session = Session::new();
    let tab = session.open().await;
    let guard = lock_now(&tab).await;
    done(guard.save_in_memory_and_db(next())).await.unwrap();
    guard.release();
    delete_database(&session.database)
        .await
        .expect("the manager's connection must not block deletion");
    let guard = lock_now(&tab).await;
    assert_eq!(guard.db_hash().as_string(), None, "the store starts over");
    done(guard.save_in_memory_and_db(next())).await.unwrap();
    assert!(
        !raw_record(&session.database, &session.session)
            .await
            .is_undefined()
    );
}

// ---- the lock -----------------------------------------------------------

#[wasm_bindgen_test]
async fn a_worker_holding_the_lock_makes_spin_lock_wait_until_it_dies() {
    let session = Session::new();
    let tab = session.open().await;
    let worker = worker_holding(&session.lock_name()).await;
    let error = assert_error(
        lock(&tab, obj(&[("timeoutMs", JsValue::from(200))])).await,
        "LockTimeoutError",
    );
    assert!(message(&error).contains("200 ms"));
    assert_error(
        lock(&tab, obj(&[("timeoutMs", JsValue::from(0))])).await,
        "LockTimeoutError",
    );

    let waiting = tab.spin_lock(Some(obj(&[("timeoutMs", JsValue::from(5000))])));
    sleep(50).await;
    worker.terminate();
    let guard: cross_tab_refresh::api::RefreshLockGuard = settle(waiting).await.unwrap();
    assert!(guard.held());
}

#[wasm_bindgen_test]
async fn the_default_timeout_comes_from_the_options() {
    let session = Session::new();
    let options = obj(&[
        ("session", s(&session.session)),
        ("databaseName", s(&session.database)),
        ("lockTimeoutMs", JsValue::from(100)),
    ]);
    let tab = open(options).await.unwrap();
    let _held = lock_now(&tab).await;
    let error = assert_error(lock(&tab, JsValue::UNDEFINED).await, "LockTimeoutError");
    assert!(message(&error).contains("100 ms"));
}

#[wasm_bindgen_test]
async fn abort_rejects_a_pending_wait() {
    let session = Session::new();
    let tab = session.open().await;
    let held = lock_now(&tab).await;

    let controller = AbortController::new().unwrap();
    let waiting = tab.spin_lock(Some(obj(&[("signal", controller.signal().into())])));
    sleep(30).await;
    controller.abort_with_reason(&s("user left"));
    let error = assert_error(
        settle::<cross_tab_refresh::api::RefreshLockGuard>(waiting).await,
        "AbortError",
    );
    assert_eq!(Reflect::get(&error, &s("cause")).unwrap(), s("user left"));

    // An already aborted signal rejects at once.
    assert_error(
        lock(&tab, obj(&[("signal", controller.signal().into())])).await,
        "AbortError",
    );
    held.release();
    // The aborted requests left nothing queued: the lock comes free.
    assert!(lock_freed_within(&session.lock_name(), 1000, false).await);
}

#[wasm_bindgen_test]
async fn release_is_idempotent_and_frees_the_lock() {
    let session = Session::new();
    let tab = session.open().await;
    let guard = lock_now(&tab).await;
    assert!(!lock_is_free(&session.lock_name()).await);
    guard.release();
    guard.release();
    assert!(!guard.held());
    assert!(lock_freed_within(&session.lock_name(), 1000, false).await);
    assert_error(
        done(guard.save_in_memory_and_db(next())).await,
        "GuardReleasedError",
    );
    assert_error(
        done(guard.handle_mismatch(next())).await,
        "GuardReleasedError",
    );
}

#[wasm_bindgen_test]
async fn symbol_dispose_releases_and_release_stays_harmless() {
    let session = Session::new();
    let tab = session.open().await;
    let guard: JsValue = lock_now(&tab).await.into();
    let dispose = Reflect::get(&js_sys::global(), &s("Symbol"))
        .and_then(|sym| Reflect::get(&sym, &s("dispose")))
        .unwrap();
    if dispose.is_undefined() {
        // This engine has no Symbol.dispose: release() is the only way, and it is tested above.
        let release: js_sys::Function = Reflect::get(&guard, &s("release"))
            .unwrap()
            .unchecked_into();
        release.call0(&guard).unwrap();
    } else {
        let dispose_fn: js_sys::Function = Reflect::get(&guard, &dispose).unwrap().unchecked_into();
        dispose_fn.call0(&guard).unwrap();
        dispose_fn.call0(&guard).unwrap();
        let release: js_sys::Function = Reflect::get(&guard, &s("release"))
            .unwrap()
            .unchecked_into();
        release
            .call0(&guard)
            .expect("release after dispose is harmless");
    }
    assert!(lock_freed_within(&session.lock_name(), 1000, false).await);
}

#[wasm_bindgen_test]
async fn a_guard_collected_as_garbage_frees_the_lock() {
    let session = Session::new();
    let tab = session.open().await;
    {
        let guard = lock_now(&tab).await;
        assert!(guard.held());
        // Hand the guard to JavaScript and drop every reference to it.
        drop(JsValue::from(guard));
    }
    assert!(
        lock_freed_within(&session.lock_name(), 15_000, true).await,
        "the lock must be freed once the guard is garbage-collected"
    );
}

// ---- bad input and lifecycle -------------------------------------------

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
