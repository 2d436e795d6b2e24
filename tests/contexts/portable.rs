//! Tests that run in every kind of context: a window, a dedicated worker, a
//! shared worker and a service worker (see the `in_*` test binaries). Nothing
//! here assumes `window` or a DOM.

use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::AbortController;

use crate::expected_scope;
use crate::support::*;

fn global_name() -> String {
    let global = js_sys::global();
    Reflect::get(
        &Reflect::get(&global, &s("constructor")).unwrap(),
        &s("name"),
    )
    .unwrap()
    .as_string()
    .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn the_seed_scenario_of_three_clients() {
    let session = Session::new();
    let (a, b) = (session.open().await, session.open().await);
    done(a.restore_session(tokens("secret-a0", Some("secret-r0"))))
        .await
        .unwrap();
    done(b.restore_session(tokens("secret-a0", Some("secret-r0"))))
        .await
        .unwrap();
    let guard = lock_now(&a).await;
    assert!(!guard.hash_mismatch());
    done(guard.save_in_memory_and_db(tokens("secret-a1", Some("secret-r1"))))
        .await
        .unwrap();
    guard.release();
    let guard = lock_now(&b).await;
    assert!(guard.hash_mismatch(), "b sees a's refresh");
    done(guard.handle_mismatch(tokens("secret-a1", Some("secret-r1"))))
        .await
        .unwrap();
    guard.release();
    assert_eq!(
        a.known_session_hash().as_string(),
        b.known_session_hash().as_string()
    );
    done(b.on_logout()).await.unwrap();
    assert!(lock_now(&a).await.db_hash().is_null());
}

#[wasm_bindgen_test]
async fn timeout_abort_and_fencing() {
    let session = Session::new();
    let (a, b) = (session.open().await, session.open().await);
    let held = lock_now(&a).await;
    assert_error(
        lock(&b, obj(&[("timeoutMs", JsValue::from(100))])).await,
        "LockTimeoutError",
    );
    let controller = AbortController::new().unwrap();
    let waiting = b.spin_lock(Some(obj(&[("signal", controller.signal().into())])));
    sleep(20).await;
    controller.abort();
    assert_error(
        settle::<cross_tab_refresh::api::RefreshLockGuard>(waiting).await,
        "AbortError",
    );
    let stealer = lock(&b, obj(&[("steal", JsValue::TRUE)])).await.unwrap();
    done(stealer.save_in_memory_and_db(tokens("secret-b", None)))
        .await
        .unwrap();
    assert_error(
        done(held.save_in_memory_and_db(tokens("secret-a", None))).await,
        "FencedError",
    );
}

#[wasm_bindgen_test]
async fn four_managers_refresh_once_and_hear_each_other() {
    let session = Session::new();
    let world = token_world(10);
    let mut tabs = Vec::new();
    for _ in 0..4 {
        let tab = session.open().await;
        done(tab.restore_session(tokens("secret-access-0", Some("secret-refresh-0"))))
            .await
            .unwrap();
        tabs.push(tab);
    }
    // A context of the session that does not refresh hears the one save.
    let listener = session.open().await;
    let recorder = event_recorder();
    listener
        .subscribe(Reflect::get(&recorder, &s("listener")).unwrap())
        .unwrap();
    let refreshes: Vec<_> = tabs
        .iter()
        .map(|t| JsFuture::from(t.refresh(handlers_of(&world))))
        .collect();
    let results = futures::future::join_all(refreshes).await;
    assert_eq!(world_number(&world, "calls"), 1);
    let outcomes: Vec<String> = results
        .iter()
        .map(|r| {
            Reflect::get(r.as_ref().unwrap(), &s("outcome"))
                .unwrap()
                .as_string()
                .unwrap()
        })
        .collect();
    assert_eq!(
        outcomes.iter().filter(|o| *o == "refreshed").count(),
        1,
        "{outcomes:?}"
    );
    let heard: Promise = Reflect::get(&recorder, &s("heard")).unwrap().into();
    let first = JsFuture::from(within(&heard, 5_000)).await;
    assert_eq!(
        first.unwrap().as_string().as_deref(),
        Some("refreshed"),
        "the refresh was broadcast"
    );
    // The tab that refreshed logs out: its messages arrive in the order it
    // sent them, so once the logout is heard, a second broadcast of its
    // save would have been heard before it.
    let refresher = outcomes.iter().position(|o| o == "refreshed").unwrap();
    JsFuture::from(tabs[refresher].on_logout()).await.unwrap();
    let seen: js_sys::Array = Reflect::get(&recorder, &s("seen")).unwrap().into();
    until("the logout is heard", 5_000, || {
        seen.includes(&s("logout"), 0)
    })
    .await;
    let seen: Vec<String> = seen.iter().map(|t| t.as_string().unwrap()).collect();
    assert_eq!(seen, ["refreshed", "logout"], "one save, one broadcast");
}

#[wasm_bindgen_test]
async fn the_lease_lock_excludes_and_is_picked_without_web_locks() {
    let session = Session::new();
    let restore = inject("no navigator.locks");
    let (a, b) = (open(session.options()).await, open(session.options()).await);
    restore.call0(&JsValue::NULL).unwrap();
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.lock_kind(), "lease");
    let held = lock_now(&a).await;
    assert_error(
        lock(&b, obj(&[("timeoutMs", JsValue::from(150))])).await,
        "LockTimeoutError",
    );
    held.release();
    let guard = lock(&b, obj(&[("timeoutMs", JsValue::from(3000))]))
        .await
        .unwrap();
    done(guard.save_in_memory_and_db(tokens("secret-b", None)))
        .await
        .unwrap();
}

#[wasm_bindgen_test]
async fn runs_in_the_expected_global_scope() {
    let name = global_name();
    assert!(
        [
            "Window",
            "DedicatedWorkerGlobalScope",
            "SharedWorkerGlobalScope",
            "ServiceWorkerGlobalScope"
        ]
        .contains(&name.as_str()),
        "{name}"
    );
    assert_eq!(name, expected_scope());
}
