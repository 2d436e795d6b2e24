//! The lease lock: what `lock: "lease"` uses, and what `"auto"` picks where
//! `navigator.locks` is missing.

use std::cell::Cell;
use std::rc::Rc;

use cross_tab_refresh::api::CrossTabRefreshManager;
use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::AbortController;

use crate::support::*;

fn lease_options(session: &Session, lease_ms: u32) -> JsValue {
    obj(&[
        ("session", s(&session.session)),
        ("databaseName", s(&session.database)),
        ("lock", s("lease")),
        ("leaseMs", JsValue::from(lease_ms)),
    ])
}

async fn lease_tab(session: &Session, lease_ms: u32) -> CrossTabRefreshManager {
    open(lease_options(session, lease_ms))
        .await
        .unwrap_or_else(|e| panic!("open: {}", describe(&e)))
}

#[wasm_bindgen_test]
async fn auto_takes_the_lease_lock_where_web_locks_are_missing() {
    let session = Session::new();
    let restore = inject("no navigator.locks");
    let result = open(session.options()).await;
    restore.call0(&JsValue::NULL).unwrap();
    let tab = result.unwrap();
    assert_eq!(tab.lock_kind(), "lease");
    let guard = lock_now(&tab).await;
    done(guard.save_in_memory_and_db(tokens("secret-a", None)))
        .await
        .unwrap();
    assert!(guard.db_hash().is_null());
    assert!(!tab.known_session_hash().is_null());
}

#[wasm_bindgen_test]
async fn the_lease_excludes_other_managers_a_shared_counter_ends_exact() {
    // 1. Four managers with the lease lock each add 1 to a counter ten times.
    // 2. Each increment reads, waits a little, then writes: any overlap would lose one.
    let session = Session::new();
    let counter = Rc::new(Cell::new(0u32));
    let mut tabs = Vec::new();
    for _ in 0..4 {
        tabs.push(lease_tab(&session, 2000).await);
    }
    assert!(tabs.iter().all(|t| t.lock_kind() == "lease"));
    let work = tabs.iter().map(|tab| {
        let counter = counter.clone();
        async move {
            for _ in 0..10 {
                let guard = lock_now(tab).await;
                let seen = counter.get();
                sleep(2).await;
                counter.set(seen + 1);
                guard.release();
            }
        }
    });
    futures::future::join_all(work).await;
    assert_eq!(counter.get(), 40);
}

#[wasm_bindgen_test]
async fn a_dead_holder_is_replaced_once_its_lease_expires() {
    // 1. A worker takes the lease (3 s, renewed every second) and says so.
    // 2. It is terminated at once, before its first renewal: a dead holder.
    // 3. Its lease still blocks the page until it expires, then the page takes over.
    let session = Session::new();
    let body = format!(
        "const m = await CrossTabRefreshManager.open({{ session: {:?}, databaseName: {:?}, lock: 'lease', leaseMs: 3000 }});
         self.guard = await m.spinLock();
         postMessage('ready');",
        session.session, session.database
    );
    let worker = module_worker(&body).await;
    worker.terminate();
    let died = js_sys::Date::now();
    let tab = lease_tab(&session, 3000).await;
    assert_error(
        lock(&tab, obj(&[("timeoutMs", JsValue::from(300))])).await,
        "LockTimeoutError",
    );
    let guard = lock(&tab, obj(&[("timeoutMs", JsValue::from(8000))]))
        .await
        .unwrap();
    assert!(guard.held());
    let waited = js_sys::Date::now() - died;
    assert!(
        waited < 6000.0,
        "replaced within about one lease ({waited} ms)"
    );
}

#[wasm_bindgen_test]
async fn a_holder_whose_lease_lapsed_cannot_write() {
    // 1. A holds the lease and hangs (its renewal is not enough: the lease is made to lapse).
    // 2. B takes the lapsed lease and saves.
    // 3. A's late save is fenced; the stored hash stays B's.
    let session = Session::new();
    let (a, b) = (
        lease_tab(&session, 5000).await,
        lease_tab(&session, 5000).await,
    );
    let guard_a = lock_now(&a).await;
    lapse_lease(&session.database, &session.lock_name()).await;
    let guard_b = lock(&b, obj(&[("timeoutMs", JsValue::from(2000))]))
        .await
        .unwrap();
    done(guard_b.save_in_memory_and_db(tokens("secret-b", None)))
        .await
        .unwrap();
    assert_error(
        done(guard_a.save_in_memory_and_db(tokens("secret-a", None))).await,
        "FencedError",
    );
    let stored = JsFuture::from(a.stored_state()).await.unwrap();
    assert_eq!(
        Reflect::get(&stored, &s("dbHash")).unwrap().as_string(),
        b.known_session_hash().as_string()
    );
}

#[wasm_bindgen_test]
async fn timeout_and_abort_work_while_waiting_for_a_lease() {
    let session = Session::new();
    let (a, b) = (
        lease_tab(&session, 5000).await,
        lease_tab(&session, 5000).await,
    );
    let held = lock_now(&a).await;
    let error = assert_error(
        lock(&b, obj(&[("timeoutMs", JsValue::from(150))])).await,
        "LockTimeoutError",
    );
    assert!(message(&error).contains("150 ms"));
    let controller = AbortController::new().unwrap();
    let waiting = b.spin_lock(Some(obj(&[("signal", controller.signal().into())])));
    sleep(50).await;
    let aborted_at = js_sys::Date::now();
    controller.abort_with_reason(&s("gone"));
    assert_error(
        settle::<cross_tab_refresh::api::RefreshLockGuard>(waiting).await,
        "AbortError",
    );
    assert!(
        js_sys::Date::now() - aborted_at < 1000.0,
        "the abort is honoured promptly"
    );
    // Released, the lease is free at once for the next manager.
    held.release();
    let started = js_sys::Date::now();
    lock(&b, obj(&[("timeoutMs", JsValue::from(3000))]))
        .await
        .unwrap();
    assert!(js_sys::Date::now() - started < 1000.0);
}

/// When the lease expires, as the lease record says (0 if none is live).
async fn expiry(tab: &CrossTabRefreshManager) -> f64 {
    let state = JsFuture::from(tab.lock_state()).await.unwrap();
    field(&state, "expiresAt").as_f64().unwrap_or(0.0)
}

#[wasm_bindgen_test]
async fn a_lease_renewal_that_fails_is_tried_again() {
    // 1. A holds a lease of 300 ms, renewed every 100 ms.
    // 2. Writes fail until a renewal has failed.
    // 3. Once they work again, the next renewal moves the expiry on: a
    //    store failure does not make a holder let its lease lapse.
    let session = Session::new();
    let a = lease_tab(&session, 300).await;
    let _held = lock_now(&a).await;
    let failed = || {
        Reflect::get(&js_sys::global(), &s("failedPuts"))
            .unwrap()
            .as_f64()
            .unwrap_or(0.0)
    };
    let before = failed();
    let restore = inject("put throws QuotaExceededError, counted");
    until("a renewal fails", 3000, || failed() > before).await;
    restore.call0(&JsValue::NULL).unwrap();
    let at_restore = expiry(&a).await;
    let mut renewed = false;
    for _ in 0..60 {
        if expiry(&a).await > at_restore {
            renewed = true;
            break;
        }
        sleep(50).await;
    }
    assert!(renewed, "no renewal after the failed one");
}

#[wasm_bindgen_test]
async fn a_lease_of_a_version_0_1_context_is_respected() {
    // 1. A context of version 0.1 holds the lease: its record has no token.
    // 2. A manager of this version neither takes it nor gives it back; it
    //    waits, and lockState names that holder.
    // 3. Once it lapses, the manager takes the lease.
    let session = Session::new();
    let tab = lease_tab(&session, 5000).await;
    let expires_at = js_sys::Date::now() + 1500.0;
    let old = obj(&[
        ("holder", s("a 0.1 tab")),
        ("expiresAt", JsValue::from(expires_at)),
    ]);
    put_raw_lease(&session.database, &session.lock_name(), &old).await;
    assert_error(
        lock(&tab, obj(&[("timeoutMs", JsValue::from(300))])).await,
        "LockTimeoutError",
    );
    let state = JsFuture::from(tab.lock_state()).await.unwrap();
    assert_eq!(field(&state, "held"), JsValue::TRUE);
    assert_eq!(field(&state, "heldByThisManager"), JsValue::FALSE);
    assert_eq!(
        js_sys::Array::from(&field(&state, "holders")).to_vec(),
        vec![s("a 0.1 tab")]
    );
    let guard = lock(&tab, obj(&[("timeoutMs", JsValue::from(5000))]))
        .await
        .unwrap();
    assert!(js_sys::Date::now() >= expires_at, "taken before it lapsed");
    assert!(guard.held());
}

#[wasm_bindgen_test]
async fn a_lease_taken_after_a_long_wait_for_its_transaction_runs_its_full_time() {
    // 1. Another context keeps the lease store busy for 600 ms.
    // 2. Meanwhile A asks for a lease of 150 ms: its transaction waits.
    // 3. When A holds, its lease runs from then, not from its request: B,
    //    asking at once, finds it held.
    let session = Session::new();
    let (a, b) = (
        lease_tab(&session, 150).await,
        lease_tab(&session, 150).await,
    );
    // The lease store exists (the managers opened the database).
    let busy = hold_store(&session.database, "leases", 600).await;
    // The request starts within the call.
    let held = a.spin_lock(Some(obj(&[("timeoutMs", JsValue::from(5000))])));
    JsFuture::from(busy).await.unwrap();
    let guard = settle::<cross_tab_refresh::api::RefreshLockGuard>(held)
        .await
        .unwrap();
    assert!(guard.held());
    assert_error(
        lock(&b, obj(&[("timeoutMs", JsValue::from(0))])).await,
        "LockTimeoutError",
    );
}
