//! Regression tests of a reload behind the store (each seen failing before
//! its fix): the app's storage reaching this tab late after another tab's
//! refresh (as localStorage does in Chromium: the 16-tab race against
//! oidc-provider made a second refresh grant), or never, through
//! `refresh()` and through the seed's `handleMismatch`.

use cross_tab_refresh::api::CrossTabRefreshManager;
use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

use crate::regressions_session::two_tabs_of;
use crate::support::*;

#[wasm_bindgen(module = "/tests/web/helpers.js")]
extern "C" {
    #[wasm_bindgen(js_name = countingHandlers)]
    fn counting_handlers(fresh: &JsValue, save_fails: bool) -> JsValue;
    #[wasm_bindgen(js_name = laggingHandlers)]
    fn lagging_handlers(stale: &JsValue, fresh: &JsValue, behind: u32) -> JsValue;
}

/// Tab A has refreshed tokens 0 to tokens 1; tab B still knows tokens 0.
/// Returns both, and tokens 0 and 1.
async fn refreshed_elsewhere(
    session: &Session,
) -> (
    CrossTabRefreshManager,
    CrossTabRefreshManager,
    JsValue,
    JsValue,
) {
    let (old, new) = (tokens("at-0", Some("rt-0")), tokens("at-1", Some("rt-1")));
    let (a, b) = two_tabs_of(session, &old).await;
    let counting = counting_handlers(&new, false);
    let refreshed = JsFuture::from(a.refresh(field(&counting, "handlers"))).await;
    assert_eq!(field(&refreshed.unwrap(), "outcome"), "refreshed");
    (a, b, old, new)
}

/// A `reload()` that still returns the tokens this tab knew, after another
/// tab stored newer ones (its storage reaching this tab late), is reloaded
/// again: the tab adopts the newer tokens and the store keeps their hash
/// (it wrote the old hash back, and the next tab refreshed again).
#[wasm_bindgen_test]
async fn a_reload_behind_the_store_is_made_again_never_written_back() {
    let session = Session::new();
    let (a, b, old, new) = refreshed_elsewhere(&session).await;
    let stored = JsFuture::from(a.stored_state()).await.unwrap();
    let lagging = lagging_handlers(&old, &new, 2);
    let result = JsFuture::from(b.refresh(field(&lagging, "handlers"))).await;
    let result = result.unwrap_or_else(|e| panic!("refresh: {}", describe(&e)));
    assert_eq!(field(&result, "outcome"), "adopted");
    assert_eq!(field(&result, "tokens"), new);
    let reloads: Function = field(&lagging, "reloads").unchecked_into();
    assert_eq!(reloads.call0(&JsValue::NULL).unwrap().as_f64(), Some(3.0));
    assert_eq!(b.known_session_hash(), a.known_session_hash());
    let now = JsFuture::from(b.stored_state()).await.unwrap();
    assert_eq!(field(&now, "dbHash"), field(&stored, "dbHash"));
    assert_eq!(field(&now, "generation"), field(&stored, "generation"));
}

/// A storage that never catches up: `StaleTokensError`, nothing written,
/// the tab's known hash unchanged.
#[wasm_bindgen_test]
async fn a_reload_that_never_catches_up_is_a_stale_tokens_error() {
    let session = Session::new();
    let (a, b, old, _) = refreshed_elsewhere(&session).await;
    let stored = JsFuture::from(a.stored_state()).await.unwrap();
    let known = b.known_session_hash();
    let lagging = lagging_handlers(&old, &old, u32::MAX);
    let result = JsFuture::from(b.refresh(field(&lagging, "handlers"))).await;
    let error = assert_error(result, "StaleTokensError");
    let message = field(&error, "message").as_string().unwrap();
    assert!(message.contains("localStorage"), "{message}");
    assert_eq!(b.known_session_hash(), known);
    let now = JsFuture::from(b.stored_state()).await.unwrap();
    assert_eq!(field(&now, "generation"), field(&stored, "generation"));
}

/// The seed's own flow: `handleMismatch` with the tokens this tab knew,
/// after another tab stored newer ones, is a `StaleTokensError` and writes
/// nothing.
#[wasm_bindgen_test]
async fn handle_mismatch_with_the_tokens_this_tab_knew_writes_nothing() {
    let session = Session::new();
    let (a, b, old, new) = refreshed_elsewhere(&session).await;
    let guard = lock_now(&b).await;
    assert!(guard.hash_mismatch());
    let result = JsFuture::from(guard.handle_mismatch(old)).await;
    assert_error(result, "StaleTokensError");
    done(guard.handle_mismatch(new)).await.unwrap();
    assert_eq!(b.known_session_hash(), a.known_session_hash());
}
