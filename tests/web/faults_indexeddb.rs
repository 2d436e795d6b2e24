//! The inventory of bad inputs and faults, its IndexedDB connection part:
//! another connection upgrading the database (and two uses reopening after
//! it at once), a manager dropped without `close()`, an open given up, and a
//! database of that name without the stores (and that upgrade blocked by
//! another connection). Each fault gets a named error, and the library
//! keeps working afterwards (see `faults_store.rs` for the store's failing
//! steps). Faults are injected by patching the platform's prototypes for
//! the length of one test (tests run one at a time).

use std::future::Future;

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

use crate::support::*;

#[wasm_bindgen(module = "/tests/web/faults.js")]
extern "C" {
    #[wasm_bindgen(js_name = upgradeDatabase)]
    fn upgrade_database(database: &str, version: u32, store: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = storesAndVersion)]
    fn stores_and_version(database: &str) -> js_sys::Promise;
    type IdbConnection;
    #[wasm_bindgen(js_name = openStubbornly)]
    fn open_stubbornly(database: &str) -> js_sys::Promise;
    #[wasm_bindgen(method)]
    fn close(this: &IdbConnection);
}

#[wasm_bindgen(module = "/tests/web/watches.js")]
extern "C" {
    #[wasm_bindgen(js_name = watchUncaught)]
    fn watch_uncaught() -> JsValue;
}

/// Stops `watch` (from `watch_uncaught`) and asserts it saw no uncaught error.
fn assert_nothing_uncaught(watch: &JsValue) {
    let call = |name| {
        field(watch, name)
            .unchecked_into::<js_sys::Function>()
            .call0(&JsValue::NULL)
            .unwrap()
    };
    let seen = js_sys::Array::from(&call("seen"));
    call("stop");
    assert_eq!(seen.length(), 0, "uncaught: {:?}", seen.to_vec());
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

/// Two uses at once, after the connection stepped aside for an upgrade,
/// reopen it once: the one that opened second closes its own connection
/// instead of replacing the first (which then stayed open after `close()`,
/// and whose step-aside handler was freed, so the next upgrade threw).
#[wasm_bindgen_test]
async fn two_uses_at_once_after_an_upgrade_keep_one_connection() {
    let session = Session::new();
    let tab = session.open().await;
    let upgraded = JsFuture::from(upgrade_database(&session.database, 7, "something-else")).await;
    assert!(upgraded.is_ok(), "the upgrade was blocked: {upgraded:?}");
    let (first, second) = futures::join!(
        JsFuture::from(tab.stored_state()),
        JsFuture::from(tab.stored_state())
    );
    first.unwrap();
    second.unwrap();
    let uncaught = watch_uncaught();
    let upgraded = JsFuture::from(upgrade_database(&session.database, 8, "another")).await;
    assert!(upgraded.is_ok(), "the upgrade was blocked: {upgraded:?}");
    // Every connection hears versionchange before the upgrade goes on, so
    // a listener's error is in by now.
    assert_nothing_uncaught(&uncaught);
}

/// A manager dropped without `close()` (garbage-collected, or freed) left
/// its connection open, listening for `versionchange` with a freed handler:
/// the next upgrade threw an uncaught error.
#[wasm_bindgen_test]
async fn a_manager_dropped_without_close_leaves_no_connection_behind() {
    let session = Session::new();
    let tab = session.open().await;
    JsFuture::from(tab.stored_state()).await.unwrap();
    drop(tab);
    let uncaught = watch_uncaught();
    let upgraded = JsFuture::from(upgrade_database(&session.database, 7, "something-else")).await;
    assert!(upgraded.is_ok(), "the upgrade was blocked: {upgraded:?}");
    assert_nothing_uncaught(&uncaught);
}

/// An open given up before it ends (a wait for the lease lock that ended
/// while the database was reopening, say) leaves no connection behind: the
/// connection its request opens is closed, not left without an owner to
/// block the next upgrade or deletion.
#[wasm_bindgen_test]
async fn an_open_given_up_before_it_ends_leaves_no_connection_behind() {
    let session = Session::new();
    let closed = closing_of_next_open(&session.database);
    let connection = cross_tab_refresh::web::idb::Connection::new(&session.database);
    {
        let mut opening = std::pin::pin!(connection.database());
        let waker = std::task::Waker::noop();
        let polled = opening
            .as_mut()
            .poll(&mut std::task::Context::from_waker(waker));
        assert!(polled.is_pending(), "the open ended at once");
    }
    let closed = JsFuture::from(within(&closed, 2_000)).await;
    assert!(closed.is_ok(), "the given-up open's connection stayed open");
    assert!(
        connection.open_now().is_none(),
        "the given-up open was kept"
    );
    // Nothing blocks an upgrade of the database now.
    let upgraded = JsFuture::from(upgrade_database(&session.database, 7, "something-else")).await;
    assert!(upgraded.is_ok(), "the upgrade was blocked: {upgraded:?}");
}

#[wasm_bindgen_test]
async fn an_upgrade_while_a_tab_waits_for_the_lock_does_not_fail_its_first_read() {
    // 1. Tab a holds the lock and has saved; tab b waits for the lock.
    // 2. Another connection upgrades the database meanwhile: both tabs'
    //    connections step aside, so the one b had when it asked is closed.
    // 3. a releases: b holds the lock and reads the record over a new one.
    let session = Session::new();
    let a = session.open().await;
    let b = session.open().await;
    let held = lock_now(&a).await;
    done(held.save_in_memory_and_db(tokens("secret-a", None)))
        .await
        .unwrap();
    let waiting = b.spin_lock(None);
    until_one_waits(&a).await;
    let upgraded = JsFuture::from(upgrade_database(&session.database, 9, "something-else")).await;
    assert!(upgraded.is_ok(), "the upgrade was blocked: {upgraded:?}");
    held.release();
    let guard = JsFuture::from(within(&waiting, 2_000))
        .await
        .unwrap_or_else(|e| panic!("b's spinLock failed: {}", describe(&e)));
    assert_eq!(
        field(&guard, "dbHash").as_string(),
        a.known_session_hash().as_string(),
        "b read the record a saved"
    );
    assert_eq!(field(&guard, "hashMismatch"), JsValue::TRUE);
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

#[wasm_bindgen_test]
async fn an_upgrade_blocked_by_a_connection_that_stays_open_fails_at_once() {
    // 1. An app's database of that name lacks the library's stores, and a
    //    connection to it ignores versionchange (an older version of the app
    //    in another tab).
    // 2. Opening a manager needs an upgrade that this connection blocks: it
    //    fails with a StoreError, not a wait for as long as the tab lives.
    // 3. Trying again while it stays open fails the same way (the blocked
    //    upgrade is still queued: an open would wait behind it).
    // 4. Once that connection closes and the upgrade queued behind it has
    //    run, opening works.
    let session = Session::new();
    JsFuture::from(upgrade_database(&session.database, 1, "something-else"))
        .await
        .unwrap();
    let stubborn: IdbConnection = JsFuture::from(open_stubbornly(&session.database))
        .await
        .unwrap()
        .unchecked_into();
    let mut results = Vec::new();
    for _ in 0..2 {
        let opening = cross_tab_refresh::api::CrossTabRefreshManager::open(session.options());
        results.push(JsFuture::from(within(&opening, 3_000)).await);
    }
    stubborn.close();
    // An open made now runs after the queued upgrade.
    let stores = JsFuture::from(stores_and_version(&session.database))
        .await
        .unwrap();
    assert_eq!(
        stores.as_string().unwrap(),
        "leases,sessions,something-else@2"
    );
    for result in results {
        let error = assert_error(result, "StoreError");
        assert_eq!(cause_name(&error), "BlockedError");
        assert!(
            message(&error).contains("upgrading the database"),
            "{}",
            message(&error)
        );
    }
    let tab = session.open().await;
    let guard = lock_now(&tab).await;
    done(guard.save_in_memory_and_db(tokens("secret-a", None)))
        .await
        .unwrap();
}
