//! One regression test per defect an independent review found (each seen
//! failing before its fix): the lease lock's in-context exclusion and
//! `timeoutMs: 0`, logouts that could be undone, dropped futures, tokens
//! lost with a failed save, leaks per acquisition, work left running at
//! `close()`, generation edges, re-entrant callbacks, and `refreshToken: ""`.

use cross_tab_refresh::api::{CrossTabRefreshManager, RefreshLockGuard};
use cross_tab_refresh::web::{LockChoice, LockOptions, SessionConfig, open_session};
use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

use crate::support::*;

#[wasm_bindgen(module = "/tests/web/helpers.js")]
extern "C" {
    #[wasm_bindgen(js_name = countingHandlers)]
    fn counting_handlers(fresh: &JsValue, save_fails: bool) -> JsValue;
    #[wasm_bindgen(js_name = reentrantRefresh)]
    fn reentrant_refresh(manager: &JsValue, fresh: &JsValue) -> Promise;
    fn within(promise: &Promise, ms: u32) -> Promise;
    #[wasm_bindgen(js_name = databaseNames)]
    fn database_names() -> Promise;
    #[wasm_bindgen(js_name = memoryBytes)]
    fn memory_bytes(memory: &JsValue) -> f64;
}

fn lease_options(session: &Session) -> JsValue {
    obj(&[
        ("session", s(&session.session)),
        ("databaseName", s(&session.database)),
        ("lock", s("lease")),
    ])
}

async fn lease_tab(session: &Session) -> CrossTabRefreshManager {
    open(lease_options(session)).await.unwrap()
}

fn timeout(ms: u32) -> JsValue {
    obj(&[("timeoutMs", JsValue::from(ms))])
}

/// A tab that stored `tokens` and knows them, and one more that restored them.
async fn two_tabs_of(
    session: &Session,
    stored: &JsValue,
) -> (CrossTabRefreshManager, CrossTabRefreshManager) {
    let a = session.open().await;
    let guard = lock_now(&a).await;
    done(guard.save_in_memory_and_db(stored.clone()))
        .await
        .unwrap();
    guard.release();
    let b = session.open().await;
    done(b.restore_session(stored.clone())).await.unwrap();
    (a, b)
}

/// Item 1: two acquisitions of one lease-lock manager never hold at once.
#[wasm_bindgen_test]
async fn the_lease_lock_excludes_two_acquisitions_of_one_manager() {
    let session = Session::new();
    let tab = lease_tab(&session).await;
    let first = lock_now(&tab).await;
    let second = lock(&tab, timeout(300)).await;
    assert_error(second, "LockTimeoutError");
    first.release();
    lock(&tab, timeout(2_000)).await.unwrap();
}

/// Item 2: `timeoutMs: 0` takes a free lease every time.
#[wasm_bindgen_test]
async fn lease_timeout_zero_takes_a_free_lease_every_time() {
    for _ in 0..20 {
        let session = Session::new();
        let tab = lease_tab(&session).await;
        let guard = lock(&tab, timeout(0)).await;
        assert!(
            guard.is_ok(),
            "a free lease was refused: {}",
            describe(&guard.err().unwrap())
        );
    }
}

/// Item 3: a tab that knew the session and missed the broadcast cannot
/// refresh over another tab's logout; a new login afterwards works.
#[wasm_bindgen_test]
async fn a_logout_elsewhere_is_not_undone_and_a_new_login_works() {
    let session = Session::new();
    let (a, b) = two_tabs_of(&session, &tokens("at-0", Some("rt-0"))).await;
    done(a.on_logout()).await.unwrap();
    let world = counting_handlers(&tokens("at-1", Some("rt-1")), false);
    let refreshed = JsFuture::from(b.refresh(field(&world, "handlers"))).await;
    assert_error(refreshed, "LoggedOutError");
    let calls: Function = field(&world, "calls").unchecked_into();
    assert_eq!(
        calls.call0(&JsValue::NULL).unwrap(),
        JsValue::from(0),
        "no network call"
    );
    assert!(
        b.known_session_hash().is_null(),
        "the known hash is forgotten"
    );
    let stored = JsFuture::from(b.stored_state()).await.unwrap();
    assert!(field(&stored, "dbHash").is_null(), "the logout stands");

    // 4. A new login in b: restore the new tokens, then refresh.
    done(b.restore_session(tokens("at-new", Some("rt-new"))))
        .await
        .unwrap();
    let result = JsFuture::from(b.refresh(field(&world, "handlers")))
        .await
        .unwrap();
    assert_eq!(field(&result, "outcome"), s("refreshed"));
}

/// Item 3: a guard read before this tab's own logout cannot bring the known
/// hash back.
#[wasm_bindgen_test]
async fn handle_mismatch_after_the_same_tabs_logout_is_refused() {
    let session = Session::new();
    let (_a, b) = two_tabs_of(&session, &tokens("at-1", Some("rt-1"))).await;
    done(b.restore_session(tokens("at-0", Some("rt-0"))))
        .await
        .unwrap();
    let guard: RefreshLockGuard = lock_now(&b).await;
    assert!(guard.hash_mismatch());
    done(b.on_logout()).await.unwrap();
    let adopted = done(guard.handle_mismatch(tokens("at-1", Some("rt-1")))).await;
    assert_error(adopted, "LoggedOutError");
    assert!(b.known_session_hash().is_null());
}

/// Item 4: a Rust `spin_lock` future dropped while it waits leaves nothing
/// queued: once the holder releases, the lock is free.
#[wasm_bindgen_test]
async fn a_dropped_rust_spin_lock_future_leaks_no_lock() {
    let session = Session::new();
    let config = || {
        let mut config = SessionConfig::new(session.session.clone());
        config.database_name = session.database.clone();
        config.lock = LockChoice::WebLocks;
        config
    };
    let holder = open_session(config()).await.unwrap();
    let waiter = open_session(config()).await.unwrap();
    let held = holder.spin_lock(LockOptions::waiting(1_000)).await.unwrap();
    {
        // Drop the wait once its request is queued at the browser.
        let wait = std::pin::pin!(waiter.spin_lock(LockOptions::waiting(10_000)));
        let queued = std::pin::pin!(async {
            for _ in 0..500 {
                if holder.lock().state().await.unwrap().waiting == Some(1) {
                    return;
                }
            }
            panic!("the wait never reached the lock manager");
        });
        let first = futures::future::select(wait, queued).await;
        assert!(
            matches!(first, futures::future::Either::Right(_)),
            "the wait ended before it was dropped"
        );
    }
    drop(held);
    assert!(
        lock_freed_within(&session.lock_name(), 2_000, false).await,
        "the dropped wait took the lock and kept it"
    );
}

/// Item 5: tokens the server issued survive a failing save(): the error
/// carries them, and memory and store stay as they were.
#[wasm_bindgen_test]
async fn a_failed_save_hands_the_new_tokens_back() {
    let session = Session::new();
    let (_a, b) = two_tabs_of(&session, &tokens("at-0", Some("rt-0"))).await;
    let known = b.known_session_hash();
    let before = JsFuture::from(b.stored_state()).await.unwrap();
    let world = counting_handlers(&tokens("at-1", Some("rt-1")), true);
    let error = assert_error(
        JsFuture::from(b.refresh(field(&world, "handlers"))).await,
        "CallbackError",
    );
    let handed_back = field(&error, "tokens");
    assert_eq!(
        field(&handed_back, "accessToken"),
        s("at-1"),
        "error.tokens"
    );
    assert_eq!(
        field(&handed_back, "expiresIn"),
        JsValue::from(300),
        "as refresh() returned them"
    );
    assert_eq!(b.known_session_hash(), known);
    let after = JsFuture::from(b.stored_state()).await.unwrap();
    assert_eq!(field(&after, "generation"), field(&before, "generation"));
}

/// Item 6: acquisitions that are granted, and waits that time out, leak
/// nothing: the module's memory stays put over thousands of them.
#[wasm_bindgen_test]
async fn thousands_of_acquisitions_do_not_grow_memory() {
    let session = Session::new();
    let tab = session.open().await;
    let other = session.open().await;
    let cycle = |n: u32| {
        let (tab, other) = (&tab, &other);
        async move {
            for i in 0..n {
                let guard = lock(tab, timeout(1_000)).await.unwrap();
                if i % 10 == 0 {
                    assert_error(lock(other, timeout(1)).await, "LockTimeoutError");
                }
                guard.release();
            }
        }
    };
    cycle(500).await;
    let start = memory_bytes(&wasm_bindgen::memory());
    cycle(6_000).await;
    let grown = memory_bytes(&wasm_bindgen::memory()) - start;
    assert!(
        grown < 65_536.0 * 2.0,
        "memory grew by {grown} bytes over 6000 acquisitions"
    );
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
    let mut queued = false;
    for _ in 0..200 {
        let state = JsFuture::from(holder.lock_state()).await.unwrap();
        if field(&state, "waiting").as_f64() == Some(1.0) {
            queued = true;
            break;
        }
    }
    assert!(queued, "the wait never reached the lock manager");
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
    let names = JsFuture::from(database_names()).await.unwrap();
    let names: Vec<String> = js_sys::Array::from(&names)
        .iter()
        .filter_map(|n| n.as_string())
        .collect();
    assert!(
        !names.contains(&session.database),
        "the database came back: {names:?}"
    );
}

/// Item 7: `close()` gives back a lease the manager holds, instead of
/// leaving everyone else to wait until it lapses.
#[wasm_bindgen_test]
async fn close_gives_the_lease_back() {
    let session = Session::new();
    let tab = lease_tab(&session).await;
    let other = lease_tab(&session).await;
    let _held = lock_now(&tab).await;
    tab.close();
    // Well within the 20 s lease.
    let taken = lock(&other, timeout(2_000)).await;
    assert!(
        taken.is_ok(),
        "the lease was kept: {}",
        describe(&taken.err().unwrap())
    );
}

const MAX_GENERATION: f64 = 9_007_199_254_740_991.0;

fn record(hash: JsValue, generation: JsValue) -> JsValue {
    obj(&[
        ("format", JsValue::from(1)),
        ("hash", hash),
        ("generation", generation),
    ])
}

fn hash_bytes() -> JsValue {
    js_sys::Uint8Array::new_with_length(32).into()
}

/// Item 8: a save at generation 2^53 − 1 leaves a readable record.
#[wasm_bindgen_test]
async fn a_save_at_the_largest_generation_stays_readable() {
    let session = Session::new();
    let tab = session.open().await;
    put_raw_record(
        &session.database,
        &session.session,
        &record(hash_bytes(), MAX_GENERATION.into()),
    )
    .await;
    let guard = lock_now(&tab).await;
    done(guard.save_in_memory_and_db(tokens("at-1", Some("rt-1"))))
        .await
        .unwrap();
    guard.release();
    let stored = JsFuture::from(tab.stored_state()).await;
    assert!(
        stored.is_ok(),
        "unreadable after the save: {}",
        describe(&stored.err().unwrap())
    );
}

/// Item 8: a bad record at 2^53 − 1 can still be logged out.
#[wasm_bindgen_test]
async fn a_bad_record_at_the_largest_generation_can_be_logged_out() {
    let session = Session::new();
    let tab = session.open().await;
    put_raw_record(
        &session.database,
        &session.session,
        &record(s("not bytes"), MAX_GENERATION.into()),
    )
    .await;
    done(tab.on_logout()).await.unwrap();
    let stored = JsFuture::from(tab.stored_state()).await.unwrap();
    assert!(field(&stored, "dbHash").is_null());
}

/// Item 8: a logout over a record whose generation cannot be read does not
/// go back to generation 1, where a stale guard would write over it.
#[wasm_bindgen_test]
async fn a_logout_over_an_unreadable_generation_fences_a_stale_guard() {
    let session = Session::new();
    let a = session.open().await;
    let b = session.open().await;
    // 1. a stores at generation 1, then takes the lock again and stalls.
    let first = lock_now(&a).await;
    done(first.save_in_memory_and_db(tokens("at-0", Some("rt-0"))))
        .await
        .unwrap();
    first.release();
    let stale = lock_now(&a).await;
    assert!(!stale.db_hash().is_null());
    // 2. b steals the lock and stores at generation 2.
    let steal = obj(&[("steal", JsValue::TRUE)]);
    let thief = lock(&b, steal).await.unwrap();
    done(thief.save_in_memory_and_db(tokens("at-1", Some("rt-1"))))
        .await
        .unwrap();
    thief.release();
    // 3. Someone garbles the generation, and b logs out.
    // 4. a's late write must not land on the logout.
    put_raw_record(
        &session.database,
        &session.session,
        &record(hash_bytes(), s("garbled")),
    )
    .await;
    done(b.on_logout()).await.unwrap();
    let late = done(stale.save_in_memory_and_db(tokens("at-0", Some("rt-0")))).await;
    assert_error(late, "FencedError");
}

/// Item 9: a refresh handler that calls refresh() of its own manager gets a
/// named error instead of waiting for itself, and the lock is freed.
#[wasm_bindgen_test]
async fn a_reentrant_refresh_is_a_named_error() {
    let session = Session::new();
    let tab = JsFuture::from(CrossTabRefreshManager::open(session.options()))
        .await
        .unwrap();
    let outer = reentrant_refresh(&tab, &tokens("at-1", Some("rt-1")));
    let outer = JsFuture::from(within(&outer, 3_000)).await;
    let error = assert_error(outer, "CallbackError");
    assert_eq!(error_name(&field(&error, "cause")), "ReentrancyError");
    assert!(lock_is_free(&session.lock_name()).await);
}

/// Item 10: `refreshToken: ""` is accepted and hashes like `null`.
#[wasm_bindgen_test]
async fn an_empty_refresh_token_hashes_like_none() {
    let session = Session::new();
    let tab = session.open().await;
    done(tab.restore_session(tokens("at", Some(""))))
        .await
        .unwrap();
    let empty = tab.known_session_hash();
    done(tab.restore_session(obj(&[
        ("accessToken", s("at")),
        ("refreshToken", JsValue::NULL),
    ])))
    .await
    .unwrap();
    assert_eq!(empty, tab.known_session_hash());
}
