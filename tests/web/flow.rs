//! The whole refresh flow against real Web Locks, IndexedDB and
//! BroadcastChannel: single flight, adoption, steal; notifications are in
//! notify.rs.

use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

use crate::support::*;

#[wasm_bindgen_test]
async fn eight_tabs_and_a_worker_refresh_once() {
    // 1. Eight managers in this page and one in a module worker know tokens 0.
    // 2. All call refresh() at the same instant; the token endpoint is slow.
    // 3. Exactly one network call; everyone ends on tokens 1; the rest adopt.
    let session = Session::new();
    let world = token_world(30);
    let mut tabs = Vec::new();
    for _ in 0..8 {
        let tab = session.open().await;
        done(tab.restore_session(tokens("secret-access-0", Some("secret-refresh-0"))))
            .await
            .unwrap();
        tabs.push(tab);
    }
    let worker = refresh_in_worker(&session, &world);
    let refreshes: Vec<_> = tabs
        .iter()
        .map(|tab| JsFuture::from(tab.refresh(handlers_of(&world))))
        .collect();
    let (worker, results) = futures::join!(worker, futures::future::join_all(refreshes));

    assert_eq!(world_number(&world, "calls"), 1, "exactly one token call");
    assert_eq!(world_number(&world, "invalidGrants"), 0);
    let mut outcomes: Vec<String> = results
        .iter()
        .map(|r| {
            let r = r
                .as_ref()
                .unwrap_or_else(|e| panic!("refresh failed: {}", describe(e)));
            assert_eq!(
                field(&field(r, "tokens"), "accessToken"),
                s("secret-access-1")
            );
            field(r, "outcome").as_string().unwrap()
        })
        .collect();
    let worker = worker.unwrap();
    assert!(
        field(&worker, "error").is_undefined(),
        "worker failed: {:?}",
        field(&worker, "error")
    );
    assert_eq!(field(&worker, "accessToken"), s("secret-access-1"));
    assert_eq!(field(&worker, "scope"), s("DedicatedWorkerGlobalScope"));
    outcomes.push(field(&worker, "outcome").as_string().unwrap());
    assert_eq!(
        outcomes.iter().filter(|o| *o == "refreshed").count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes.iter().filter(|o| *o == "adopted").count(),
        8,
        "{outcomes:?}"
    );
    let hashes: Vec<_> = tabs
        .iter()
        .map(|t| t.known_session_hash().as_string())
        .collect();
    assert!(hashes.iter().all(|h| h.is_some() && *h == hashes[0]));
}

#[wasm_bindgen_test]
async fn concurrent_calls_in_one_context_share_one_refresh() {
    let session = Session::new();
    let world = token_world(20);
    let tab = session.open().await;
    done(tab.restore_session(tokens("secret-access-0", Some("secret-refresh-0"))))
        .await
        .unwrap();
    let first = tab.refresh(handlers_of(&world));
    let second = tab.refresh(handlers_of(&world));
    let (a, b) = futures::join!(JsFuture::from(first), JsFuture::from(second));
    assert_eq!(world_number(&world, "calls"), 1);
    assert_eq!(field(&a.unwrap(), "outcome"), s("refreshed"));
    assert_eq!(
        field(&b.unwrap(), "outcome"),
        s("refreshed"),
        "the same refresh, shared"
    );
    // Once settled, the next call refreshes again.
    let third = refresh(&tab, handlers_of(&world)).await.unwrap();
    assert_eq!(field(&third, "outcome"), s("refreshed"));
    assert_eq!(world_number(&world, "issued"), 2);
}

#[wasm_bindgen_test]
async fn callbacks_may_be_sync_and_their_tokens_come_back_as_given() {
    let session = Session::new();
    let tab = session.open().await;
    let handlers = handlers_named("synchronous, with an extra field");
    let result = refresh(&tab, handlers).await.unwrap();
    assert_eq!(field(&result, "outcome"), s("refreshed"));
    assert_eq!(
        field(&field(&result, "tokens"), "expiresIn").as_f64(),
        Some(60.0),
        "extra fields kept"
    );
}

#[wasm_bindgen_test]
async fn failing_callbacks_are_callback_errors_with_cause() {
    let session = Session::new();
    let tab = session.open().await;
    for (name, callback) in [
        ("refresh throws", "refresh"),
        ("refresh rejects", "refresh"),
        ("refresh returns a number", "refresh"),
        ("save throws", "save"),
    ] {
        let handlers = handlers_named(name);
        let error = assert_error(refresh(&tab, handlers).await, "CallbackError");
        assert!(
            message(&error).contains(&format!("{callback}()")),
            "{}",
            message(&error)
        );
        assert!(
            !field(&error, "cause").is_undefined(),
            "the callback's error is the cause"
        );
    }
    // Nothing was stored by the failed refreshes (the save failed before the write).
    assert!(
        raw_record(&session.database, &session.session)
            .await
            .is_undefined()
    );
    let noop = || JsValue::from(noop());
    for (bad, expected) in [
        (JsValue::NULL, "takes an object"),
        (
            obj(&[("refresh", JsValue::from(1))]),
            "handlers.refresh must be a function",
        ),
        (obj(&[]), "handlers.refresh must be a function"),
        (
            obj(&[("refresh", noop())]),
            "handlers.reload must be a function",
        ),
        (
            obj(&[
                ("refresh", noop()),
                ("reload", noop()),
                ("save", JsValue::from(5)),
            ]),
            "handlers.save must be a function",
        ),
    ] {
        let error = assert_error(refresh(&tab, bad).await, "InvalidArgumentError");
        assert!(message(&error).contains(expected), "{}", message(&error));
    }
}

#[wasm_bindgen_test]
async fn a_failed_reload_rejects_instead_of_reporting_stale_success() {
    let session = Session::new();
    let world = token_world(0);
    let (a, b) = (session.open().await, session.open().await);
    done(a.restore_session(tokens("secret-access-0", Some("secret-refresh-0"))))
        .await
        .unwrap();
    done(b.restore_session(tokens("secret-access-0", Some("secret-refresh-0"))))
        .await
        .unwrap();
    refresh(&a, handlers_of(&world)).await.unwrap();
    let handlers = handlers_named("reload rejects");
    let error = assert_error(refresh(&b, handlers).await, "CallbackError");
    assert!(message(&error).contains("reload()"));
}

#[wasm_bindgen_test]
async fn a_refresh_that_fails_after_another_context_stored_adopts() {
    // 1. Tab A takes the lock, its token request waits (a slow network).
    // 2. Tab B steals the lock (A looks frozen), refreshes and stores tokens 1.
    // 3. A's request, sent with the same token, arrives: invalid_grant.
    // 4. A looks at the store again, sees B's tokens and adopts them.
    let session = Session::new();
    let world = token_world(0);
    let (a, b) = (session.open().await, session.open().await);
    for tab in [&a, &b] {
        done(tab.restore_session(tokens("secret-access-0", Some("secret-refresh-0"))))
            .await
            .unwrap();
    }
    // A's call reaches the endpoint and waits there until B is done.
    let (a_calling, let_a_through) = arm_gate(&world);
    let slow = handlers_of(&world);
    let flow_a = JsFuture::from(a.refresh(slow));
    let steal_b = async {
        JsFuture::from(a_calling).await.unwrap();
        let guard = lock(&b, obj(&[("steal", JsValue::TRUE)])).await.unwrap();
        let fresh = JsFuture::from(js_sys::Promise::resolve(&handlers_of(&world)))
            .await
            .unwrap();
        let refresh_fn: Function = field(&fresh, "refresh").unchecked_into();
        let tokens_b = JsFuture::from(js_sys::Promise::from(refresh_fn.call0(&fresh).unwrap()))
            .await
            .unwrap();
        let save_fn: Function = field(&fresh, "save").unchecked_into();
        JsFuture::from(js_sys::Promise::from(
            save_fn.call1(&fresh, &tokens_b).unwrap(),
        ))
        .await
        .unwrap();
        done(guard.save_in_memory_and_db(tokens_b)).await.unwrap();
        guard.release();
        let_a_through.call0(&JsValue::NULL).unwrap();
    };
    let (result_a, ()) = futures::join!(flow_a, steal_b);
    let result_a = result_a.unwrap_or_else(|e| panic!("A failed: {}", describe(&e)));
    assert_eq!(field(&result_a, "outcome"), s("adopted"));
    assert_eq!(
        field(&field(&result_a, "tokens"), "accessToken"),
        s("secret-access-1")
    );
    assert_eq!(
        world_number(&world, "invalidGrants"),
        1,
        "A's stale call was refused"
    );
    assert_eq!(a.known_session_hash(), b.known_session_hash());
}
