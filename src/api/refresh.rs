//! `CrossTabRefreshManager.refresh()`: the whole refresh flow, seen from
//! JavaScript.

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;

use super::error::{promise, to_js};
use super::handlers::JsHandlers;
use super::manager::CrossTabRefreshManager;
use crate::core::ErrorKind;

#[wasm_bindgen]
impl CrossTabRefreshManager {
    /// Refreshes the session once across all contexts: takes the lock,
    /// then either adopts tokens another context stored (`reload`, outcome
    /// `"adopted"`, no network call) or calls `refresh`, `save`, and stores
    /// the new hash (outcome `"refreshed"`). Concurrent calls in one context
    /// share one refresh. Rejects with `LoggedOutError` (another context
    /// logged out after this one learned its tokens, or this one logged out
    /// or found another's logout after the call: no network call; reloaded
    /// tokens other than the new login's, when this context knew only a
    /// logout; or, with the new tokens as `tokens`, a logout
    /// came after the server issued them: `save` has stored them, and they
    /// are the ended session's),
    /// `CallbackError` (the callback's error as `cause`; after a failed
    /// `save`, the new tokens as `tokens`), `ReentrancyError` (called from
    /// one of its own handlers), `StaleTokensError`, `FencedError`,
    /// `LockTimeoutError`, `StoreError`, `InvalidPreviousHashError` (an
    /// unreadable record), `NotSupportedError` (the lock manager refused the
    /// request), `InvalidArgumentError` or `ClosedError`. Any rejection after the network call carries the new
    /// tokens as `tokens`.
    #[wasm_bindgen(unchecked_return_type = "Promise<RefreshResult>")]
    pub fn refresh(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RefreshHandlers")] handlers: JsValue,
    ) -> Promise {
        // Called from inside a handler of the refresh in flight: it would
        // wait for itself.
        if self.inner.core.is_inside_refresh_handler() {
            return Promise::reject(&to_js(ErrorKind::Reentrant.into()));
        }
        let handlers = match self
            .inner
            .check_open()
            .and_then(|()| JsHandlers::new(handlers))
        {
            Ok(handlers) => handlers,
            Err(error) => return Promise::reject(&to_js(error)),
        };
        let inner = self.inner.clone();
        promise(async move {
            let options = inner.lock_options(Default::default());
            let (outcome, tokens) = inner.core.refresh(options, &handlers).await?;
            let value = Object::new();
            let _ = Reflect::set(&value, &"outcome".into(), &outcome.as_str().into());
            let _ = Reflect::set(&value, &"tokens".into(), tokens.value());
            Ok(JsValue::from(value))
        })
    }
}
