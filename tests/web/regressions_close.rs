//! Regression tests of `close()`, one per defect a review found (each seen
//! failing before its fix): a wait in progress, a lease held or being taken,
//! a refresh past the lock, and nothing opening the database again.

use cross_tab_refresh::api::CrossTabRefreshManager;
use cross_tab_refresh::core::CrossContextLock;
use cross_tab_refresh::web::{
    LockChoice, LockOptions, SessionConfig, WebRefreshManager, close_session, open_session,
};
use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

use crate::support::*;

#[wasm_bindgen(module = "/tests/web/watches.js")]
extern "C" {
    #[wasm_bindgen(js_name = closeAfterNextPut)]
    fn close_after_next_put(close: &JsValue, database: &str, store: &str) -> Function;
}

/// `other` takes the lease within `ms` (0: only if free now), well within
/// the 20 s lease `close()` was to give back.
async fn assert_lease_free(other: &CrossTabRefreshManager, ms: u32) {
    if let Err(error) = lock(other, timeout(ms)).await {
        panic!("the lease was kept: {}", describe(&error));
    }
}

/// Item 7: a wait in progress at `close()` rejects instead of resolving
/// later with a live guard.
#[wasm_bindgen_test]
async fn a_wait_at_close_rejects_with_closed_error() {
    let session = Session::new();
    let holder = session.open().await;
    let tab = session.open().await;
    let held = lock_now(&holder).await;
    let waiting = tab.spin_lock(Some(timeout(5_000)));
    // Close only once the wait is queued at the browser.
    until_one_waits(&holder).await;
    tab.close();
    held.release();
    let settled = JsFuture::from(within(&waiting, 2_000)).await;
    assert_error(settled, "ClosedError");
}

/// Item 7: releasing a lease guard after `close()` does not reopen (and so
/// recreate) the database.
#[wasm_bindgen_test]
async fn a_lease_released_after_close_does_not_reopen_the_database() {
    let session = Session::new();
    let tab = lease_tab(&session).await;
    let guard = lock_now(&tab).await;
    tab.close();
    delete_database(&session.database).await.unwrap();
    guard.release();
    // A later open of another database goes through the same factory queue
    // after anything the release started.
    let probe = Session::new();
    drop(probe.open().await);
    // And for a while after it (a reopen a timer or a lock started later
    // would come then): a negative can only be checked within a window.
    for _ in 0..10 {
        assert!(
            !database_exists(&session.database).await,
            "the database came back"
        );
        sleep(30).await;
    }
}

/// `close()` while a lease lock's attempt to take the lease is in flight
/// (here, right after its transaction wrote the lease, before it commits):
/// `close()` gives that lease back, instead of leaving it to lapse with
/// nobody holding it.
#[wasm_bindgen_test]
async fn close_gives_back_a_lease_an_attempt_in_flight_takes() {
    let session = Session::new();
    let tab = std::rc::Rc::new(lease_tab(&session).await);
    let other = lease_tab(&session).await;
    let closing = tab.clone();
    let close = Closure::once_into_js(move || closing.close());
    let restore = close_after_next_put(&close, &session.database, "leases");
    let attempt = lock(&tab, timeout(1_000)).await;
    restore.call0(&JsValue::NULL).unwrap();
    assert_error(attempt, "ClosedError");
    assert_lease_free(&other, 2_000).await;
}

/// A Rust API manager of `session` with the lease lock.
async fn lease_manager(session: &Session) -> WebRefreshManager {
    let mut config = SessionConfig::new(session.session.clone());
    config.database_name = session.database.clone();
    config.lock = LockChoice::Lease;
    open_session(config).await.unwrap()
}

/// The same through the Rust API's lock itself: an acquisition whose take
/// commits after `close()` fails with `Closed` instead of handing out a
/// guard of a lease that `close()` gives back.
#[wasm_bindgen_test]
async fn a_lease_taken_after_close_is_no_guard() {
    let session = Session::new();
    let manager = lease_manager(&session).await;
    let closing = manager.clone();
    let close = Closure::once_into_js(move || close_session(&closing));
    let restore = close_after_next_put(&close, &session.database, "leases");
    let taken = manager.lock().acquire(LockOptions::waiting(1_000)).await;
    restore.call0(&JsValue::NULL).unwrap();
    assert_eq!(taken.err().map(|e| e.name()), Some("ClosedError"));
}

/// Item 7: `close()` gives back a lease the manager holds, instead of
/// leaving everyone else to wait until it lapses; it is free for an
/// only-if-free request made right after, in the same turn.
#[wasm_bindgen_test]
async fn a_lease_given_back_by_close_is_free_at_once() {
    let session = Session::new();
    let tab = lease_tab(&session).await;
    let other = lease_tab(&session).await;
    let _held = lock_now(&tab).await;
    tab.close();
    assert_lease_free(&other, 0).await;
}

/// With two leases to give back (a guard, and a steal by the same manager
/// that took the lease from it), `close()` starts every give-back at once:
/// an only-if-free request made right after finds the lease free. (The
/// guard's lease, no longer the stored one, is listed first: it stays
/// listed until its renewal finds it taken, so before the fix the stolen
/// one's give-back started only after it.)
#[wasm_bindgen_test]
async fn close_gives_back_every_lease_at_once() {
    let session = Session::new();
    let tab = lease_tab(&session).await;
    let other = lease_tab(&session).await;
    let _first = lock_now(&tab).await;
    let _stolen = lock(&tab, obj(&[("steal", JsValue::TRUE)])).await.unwrap();
    tab.close();
    assert_lease_free(&other, 0).await;
}

/// Two tabs of a new session on `lock_kind` that know the stored tokens; the
/// first is inside the network call of a `refresh()` (`{ handlers, open }`
/// of [`gated_handlers`]), and the refresh under way.
async fn a_refresh_at_the_network_call(
    session: &Session,
    lock_kind: &str,
) -> (
    CrossTabRefreshManager,
    CrossTabRefreshManager,
    JsValue,
    JsFuture,
) {
    let options = obj(&[
        ("session", s(&session.session)),
        ("databaseName", s(&session.database)),
        ("lock", s(lock_kind)),
    ]);
    let stored = tokens("at-0", Some("rt-0"));
    let a = open(options.clone()).await.unwrap();
    let guard = lock_now(&a).await;
    done(guard.save_in_memory_and_db(stored.clone()))
        .await
        .unwrap();
    guard.release();
    let b = open(options).await.unwrap();
    done(b.restore_session(stored)).await.unwrap();
    let gated = gated_handlers(&tokens("at-1", Some("rt-1")), &JsValue::NULL);
    let refreshing = JsFuture::from(a.refresh(field(&gated, "handlers")));
    JsFuture::from(js_sys::Promise::from(field(&gated, "entered")))
        .await
        .unwrap();
    (a, b, gated, refreshing)
}

fn open_gate(gated: &JsValue) {
    let open: Function = field(gated, "open").unchecked_into();
    open.call0(&JsValue::NULL).unwrap();
}

/// A `close()` while `refresh()` is past the lock (here, inside the network
/// refresh) does not end it halfway: the old refresh token is spent, so the
/// lock stays held and the new hash is stored before the lock is let go.
/// Another tab then sees a mismatch instead of refreshing with the spent
/// token. With either lock.
#[wasm_bindgen_test]
async fn a_close_during_refresh_still_stores_the_new_hash() {
    for lock_kind in ["web-locks", "lease"] {
        let session = Session::new();
        let (a, b, gated, refreshing) = a_refresh_at_the_network_call(&session, lock_kind).await;
        a.close();
        let meanwhile = lock(&b, obj(&[("timeoutMs", JsValue::from(0))])).await;
        assert_error(meanwhile, "LockTimeoutError");
        open_gate(&gated);
        let refreshed = refreshing
            .await
            .unwrap_or_else(|e| panic!("{lock_kind}: {}", describe(&e)));
        assert_eq!(field(&refreshed, "outcome"), s("refreshed"), "{lock_kind}");
        let guard = lock(&b, obj(&[("timeoutMs", JsValue::from(2_000))]))
            .await
            .unwrap_or_else(|e| panic!("{lock_kind}: {}", describe(&e)));
        assert!(guard.hash_mismatch(), "{lock_kind}: b sees the new tokens");
        guard.release();
    }
}

/// A refresh that runs on after `close()` opens the database no more: if
/// the app deletes it meanwhile (a logout), the refresh's write and the
/// lease's give-back fail instead of creating it again.
#[wasm_bindgen_test]
async fn a_refresh_running_on_after_close_does_not_bring_a_deleted_database_back() {
    for lock_kind in ["web-locks", "lease"] {
        let session = Session::new();
        let (a, b, gated, refreshing) = a_refresh_at_the_network_call(&session, lock_kind).await;
        drop(b);
        a.close();
        delete_database(&session.database).await.unwrap();
        open_gate(&gated);
        assert_error(refreshing.await, "ClosedError");
        assert!(
            !database_exists(&session.database).await,
            "{lock_kind}: the database came back"
        );
    }
}

/// The lease lock's own `close()`, as a Rust caller may call it without
/// `close_session`, opens the database no more either: a lease it holds
/// when the database was deleted (its connection stepped aside) is not given
/// back by opening, and so creating, the database again.
#[wasm_bindgen_test]
async fn the_lease_locks_own_close_does_not_bring_a_deleted_database_back() {
    let session = Session::new();
    let manager = lease_manager(&session).await;
    let held = manager.lock().acquire(LockOptions::waiting(1_000)).await;
    assert!(held.is_ok(), "the lease was not taken");
    delete_database(&session.database).await.unwrap();
    manager.lock().close(manager.store().connection());
    // A later open of another database goes through the same factory queue
    // after anything the give-back started; then a while after it.
    drop(Session::new().open().await);
    for _ in 0..10 {
        assert!(
            !database_exists(&session.database).await,
            "the database came back"
        );
        sleep(30).await;
    }
    drop(held);
}
