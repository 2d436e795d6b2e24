//! Regression tests of the lock, one per defect an independent review found
//! (each seen failing before its fix): the lease lock's in-context exclusion
//! and `timeoutMs: 0`, dropped futures, leaks per acquisition, and the read
//! a Web Lock's grant starts ahead; `close()` is in regressions_close.rs.

use cross_tab_refresh::core::{CrossContextLock, SessionTokens};
use cross_tab_refresh::web::{
    LockChoice, LockOptions, SessionConfig, WebRefreshManager, open_session,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

use crate::support::*;

#[wasm_bindgen(module = "/tests/web/helpers.js")]
extern "C" {
    #[wasm_bindgen(js_name = memoryBytes)]
    fn memory_bytes(memory: &JsValue) -> f64;
}

/// A Rust API session on Web Locks.
fn web_locks_config(session: &Session) -> SessionConfig {
    let mut config = SessionConfig::new(session.session.clone());
    config.database_name = session.database.clone();
    config.lock = LockChoice::WebLocks;
    config
}

/// Two Rust API managers of `session` on Web Locks.
async fn two_rust_managers(session: &Session) -> (WebRefreshManager, WebRefreshManager) {
    let config = || web_locks_config(session);
    (
        open_session(config()).await.unwrap(),
        open_session(config()).await.unwrap(),
    )
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

/// Item 4: a Rust `spin_lock` future dropped while it waits leaves nothing
/// queued: once the holder releases, the lock is free.
#[wasm_bindgen_test]
async fn a_dropped_rust_spin_lock_future_leaks_no_lock() {
    let session = Session::new();
    let config = || web_locks_config(&session);
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
    let references = wasm_bindgen::externref_heap_live_count();
    let carved = cross_tab_refresh::heap::carved_bytes();
    cycle(6_000).await;
    // The heap reuses what was freed: it carves nothing new for them.
    let more_carved = cross_tab_refresh::heap::carved_bytes() - carved;
    assert!(
        more_carved <= 4096,
        "the heap carved {more_carved} more bytes over 6000 acquisitions"
    );
    let grown = memory_bytes(&wasm_bindgen::memory()) - start;
    // Memory grows by 64 KiB pages: at most one, so that a leak of 11 bytes
    // an acquisition shows.
    assert!(
        grown <= 65_536.0,
        "memory grew by {grown} bytes over 6000 acquisitions"
    );
    // JavaScript values held from Rust (promises, closures, signals) are
    // not in that memory: their count stays where it was.
    let more = wasm_bindgen::externref_heap_live_count().saturating_sub(references);
    assert!(
        more <= 8,
        "{more} more JavaScript values held after 6000 acquisitions"
    );
}

/// A lock released, then asked for only-if-free in the same turn of the
/// event loop, is free: the release reaches the lock before the request,
/// with either lock.
#[wasm_bindgen_test]
async fn a_released_lock_is_free_for_an_if_free_request_made_at_once() {
    let session = Session::new();
    for tab in [session.open().await, lease_tab(&session).await] {
        for round in 0..10 {
            let guard = lock_now(&tab).await;
            guard.release();
            let again = lock(&tab, timeout(0)).await.unwrap_or_else(|e| {
                panic!(
                    "{} round {round}: {}",
                    tab.lock_kind().as_string().unwrap_or_default(),
                    describe(&e)
                )
            });
            again.release();
        }
    }
}

/// A Web Lock taken through the Rust API's lock itself (not `spin_lock`)
/// leaves its read ahead of the record to no later read: a read after a
/// write of this context, or after the guard is gone and another context
/// wrote, sees that write.
#[wasm_bindgen_test]
async fn a_lock_taken_directly_leaves_no_stale_read_behind() {
    let (a, b) = two_rust_managers(&Session::new()).await;
    let held = a.lock().acquire(LockOptions::waiting(1_000)).await.unwrap();
    a.on_logout().await.unwrap();
    assert_eq!(a.stored_state().await.unwrap().generation, 1, "own write");
    drop(held);
    let guard = b.spin_lock(LockOptions::waiting(1_000)).await.unwrap();
    let tokens = SessionTokens::new("secret-b", None);
    guard.save_in_memory_and_db(&tokens).await.unwrap();
    drop(guard);
    assert_eq!(
        a.stored_state().await.unwrap().generation,
        2,
        "other's write"
    );
}

/// A Web Lock taken through the Rust API's lock itself, and held: a read
/// while it is held sees another context's write made after the grant (a
/// logout, which takes no lock), not the read the grant started ahead.
#[wasm_bindgen_test]
async fn a_read_under_a_lock_taken_directly_sees_a_later_write() {
    let (a, b) = two_rust_managers(&Session::new()).await;
    let held = a.lock().acquire(LockOptions::waiting(1_000)).await.unwrap();
    b.on_logout().await.unwrap();
    assert_eq!(
        a.stored_state().await.unwrap().generation,
        1,
        "other's write"
    );
    drop(held);
}
