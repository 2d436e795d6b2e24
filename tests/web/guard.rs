//! The lock and its guard: waiting, timeouts, abort, release, `Symbol.dispose`
//! and garbage collection.

use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;
use web_sys::AbortController;

use crate::next;
use crate::support::*;

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
    until_one_waits(&tab).await;
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
    // Two waits: one of the holder's own manager (in its in-context turn),
    // one of another manager (queued at the browser's lock manager).
    let session = Session::new();
    let (tab, other) = (session.open().await, session.open().await);
    let held = lock_now(&tab).await;
    for (waiter, at_the_browser) in [(&tab, false), (&other, true)] {
        let controller = AbortController::new().unwrap();
        let waiting = waiter.spin_lock(Some(obj(&[("signal", controller.signal().into())])));
        if at_the_browser {
            until_one_waits(&tab).await;
        }
        controller.abort_with_reason(&s("user left"));
        let error = assert_error(
            settle::<cross_tab_refresh::api::RefreshLockGuard>(waiting).await,
            "AbortError",
        );
        assert_eq!(Reflect::get(&error, &s("cause")).unwrap(), s("user left"));
        // An already aborted signal rejects at once.
        assert_error(
            lock(waiter, obj(&[("signal", controller.signal().into())])).await,
            "AbortError",
        );
    }
    // The aborted requests left nothing queued, while the lock is held
    // (a request left queued would be granted to nobody later, and the
    // lock would still come free).
    until_nothing_waits(&tab).await;
    held.release();
    assert!(lock_freed_within(&session.lock_name(), 1000, false).await);
}

#[wasm_bindgen_test]
async fn an_already_aborted_signal_rejects_an_if_free_request_on_a_free_lock() {
    // timeoutMs: 0 asks only if the lock is free; an aborted signal still
    // means "do not take it", whatever the lock.
    let session = Session::new();
    for tab in [session.open().await, lease_tab(&session).await] {
        let controller = AbortController::new().unwrap();
        controller.abort_with_reason(&s("user left"));
        let options = obj(&[
            ("timeoutMs", JsValue::from(0)),
            ("signal", controller.signal().into()),
        ]);
        let error = assert_error(lock(&tab, options).await, "AbortError");
        assert_eq!(Reflect::get(&error, &s("cause")).unwrap(), s("user left"));
        // The lock was not taken.
        let held = lock(&tab, obj(&[("timeoutMs", JsValue::from(0))]))
            .await
            .unwrap();
        // Nor is it a LockTimeoutError while this context holds the lock.
        let options = obj(&[
            ("timeoutMs", JsValue::from(0)),
            ("signal", controller.signal().into()),
        ]);
        assert_error(lock(&tab, options).await, "AbortError");
        held.release();
    }
}

#[wasm_bindgen_test]
async fn a_wait_that_times_out_leaves_the_browsers_queue_at_once() {
    // Not only once the holder releases: a request left queued would be
    // granted later, to nobody, and hold the lock for a moment.
    let session = Session::new();
    let (tab, other) = (session.open().await, session.open().await);
    let _held = lock_now(&tab).await;
    let waiting = other.spin_lock(Some(obj(&[("timeoutMs", JsValue::from(300))])));
    until_one_waits(&tab).await;
    assert_error(
        settle::<cross_tab_refresh::api::RefreshLockGuard>(waiting).await,
        "LockTimeoutError",
    );
    // Left queued, it would stay until the holder releases.
    until_nothing_waits(&tab).await;
}

#[wasm_bindgen_test]
async fn a_wait_that_ends_leaves_no_timer_armed() {
    // A lock granted at once and a wait aborted early both clear the
    // timeout they armed: a timer left behind would fire into freed code.
    let session = Session::new();
    let tab = session.open().await;
    let timers = watch_timers();
    let call = |name: &str| {
        let f: Function = Reflect::get(&timers, &s(name)).unwrap().into();
        f.call0(&timers).unwrap()
    };
    let long = || obj(&[("timeoutMs", JsValue::from(60_000))]);
    let held = lock(&tab, long()).await.unwrap();
    assert_eq!(call("pending").as_f64(), Some(0.0), "granted at once");

    let controller = AbortController::new().unwrap();
    let options = long();
    Reflect::set(&options, &s("signal"), &controller.signal()).unwrap();
    let waiting = tab.spin_lock(Some(options));
    sleep(30).await;
    controller.abort();
    assert_error(
        settle::<cross_tab_refresh::api::RefreshLockGuard>(waiting).await,
        "AbortError",
    );
    assert_eq!(call("pending").as_f64(), Some(0.0), "aborted");
    call("restore");
    held.release();
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
    // An engine without Symbol.dispose gets it as a polyfill would define
    // it (before the manager opens, which wires it), so that the wiring is
    // tested in every engine.
    let symbol = Reflect::get(&js_sys::global(), &s("Symbol")).unwrap();
    let polyfilled = Reflect::get(&symbol, &s("dispose")).unwrap().is_undefined();
    if polyfilled {
        let dispose = js_sys::Symbol::for_("Symbol.dispose");
        assert!(Reflect::set(&symbol, &s("dispose"), &dispose).unwrap());
    }
    let dispose = Reflect::get(&symbol, &s("dispose")).unwrap();
    let session = Session::new();
    let tab = session.open().await;
    let guard: JsValue = lock_now(&tab).await.into();
    let dispose_fn: js_sys::Function = Reflect::get(&guard, &dispose).unwrap().unchecked_into();
    dispose_fn.call0(&guard).unwrap();
    dispose_fn.call0(&guard).unwrap();
    let release: js_sys::Function = Reflect::get(&guard, &s("release"))
        .unwrap()
        .unchecked_into();
    release
        .call0(&guard)
        .expect("release after dispose is harmless");
    assert!(lock_freed_within(&session.lock_name(), 1000, false).await);
    if polyfilled {
        Reflect::delete_property(symbol.unchecked_ref::<js_sys::Object>(), &s("dispose")).unwrap();
    }
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

#[wasm_bindgen(module = "/tests/web/watches.js")]
extern "C" {
    #[wasm_bindgen(js_name = countTransactions)]
    fn count_transactions() -> JsValue;
}

/// With Web Locks, `spinLock()` reads the session record once: the read
/// the grant's callback starts is the guard's first read.
#[wasm_bindgen_test]
async fn spin_lock_with_web_locks_reads_the_record_once() {
    let session = Session::new();
    let tab = session.open().await;
    if tab.lock_kind() != "web-locks" {
        panic!("no Web Locks in this context");
    }
    lock_now(&tab).await.release();
    let counting = count_transactions();
    let guard = lock_now(&tab).await;
    let call = |name: &str| {
        let method: Function = field(&counting, name).unchecked_into();
        method.call0(&JsValue::NULL).unwrap()
    };
    let (count, in_grant) = (call("count"), call("inGrant"));
    call("stop");
    guard.release();
    assert_eq!(count, JsValue::from(1), "transactions for one spinLock()");
    assert_eq!(
        in_grant,
        JsValue::from(1),
        "started in the grant's callback"
    );
}
