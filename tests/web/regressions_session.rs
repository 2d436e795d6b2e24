//! Regression tests of the session and its tokens, one per defect an
//! independent review found (each seen failing before its fix): logouts
//! that could be undone, tokens lost with a failed save, re-entrant
//! callbacks, and `refreshToken: ""`. A reload behind the store:
//! `regressions_reload.rs`.

use cross_tab_refresh::api::{CrossTabRefreshManager, RefreshLockGuard};
use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

use crate::support::*;

#[wasm_bindgen(module = "/tests/web/helpers.js")]
extern "C" {
    #[wasm_bindgen(js_name = countingHandlers)]
    fn counting_handlers(fresh: &JsValue, save_fails: bool) -> JsValue;
}

/// A tab that stored `tokens` and knows them, and one more that restored them.
pub(crate) async fn two_tabs_of(
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

/// With no `save` handler, a store failure after the network call hands the
/// new tokens back too: nothing else holds them, and the old refresh token
/// is spent.
#[wasm_bindgen_test]
async fn a_store_failure_after_the_network_call_hands_the_new_tokens_back() {
    let session = Session::new();
    let (_a, b) = two_tabs_of(&session, &tokens("at-0", Some("rt-0"))).await;
    let world = counting_handlers(&tokens("at-1", Some("rt-1")), false);
    let handlers = field(&world, "handlers");
    Reflect::delete_property(handlers.unchecked_ref::<js_sys::Object>(), &s("save")).unwrap();
    let restore = inject("put throws QuotaExceededError");
    let result = JsFuture::from(b.refresh(handlers)).await;
    restore.call0(&JsValue::NULL).unwrap();
    let error = assert_error(result, "StoreError");
    assert_eq!(
        field(&field(&error, "tokens"), "accessToken"),
        s("at-1"),
        "error.tokens"
    );
    assert!(
        message(&error).ends_with("the old refresh token is spent"),
        "{}",
        message(&error)
    );
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
    assert_reentrancy_error(outer, &session).await;
}

/// A refresh handler that calls spinLock() of its own manager gets the
/// same named error at once, instead of waiting for the lock its refresh
/// holds, and the lock is freed.
#[wasm_bindgen_test]
async fn a_spin_lock_from_a_refresh_handler_is_a_named_error() {
    let session = Session::new();
    let tab = JsFuture::from(CrossTabRefreshManager::open(session.options()))
        .await
        .unwrap();
    let outer = reentrant_spin_lock(&tab, &tokens("at-1", Some("rt-1")));
    assert_reentrancy_error(outer, &session).await;
}

/// The outer refresh of a handler that called back into its manager fails
/// within 3 s with `CallbackError` caused by `ReentrancyError`, and the lock
/// is freed.
async fn assert_reentrancy_error(outer: js_sys::Promise, session: &Session) {
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
