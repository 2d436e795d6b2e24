//! The one error boundary: every failure becomes a real JavaScript `Error`
//! with a stable `name` and, when there is one, the underlying value as `cause`.

use js_sys::Reflect;
use wasm_bindgen::prelude::*;

use super::tokens::JsTokens;
use crate::core::text::join;
use crate::core::{RefreshError, Remedy};

#[wasm_bindgen(typescript_custom_section)]
const ERROR_NAMES: &'static str = r#"
/** The `name` of every error this library rejects with. */
export type CrossTabRefreshErrorName =
  | "LockTimeoutError" | "AbortError" | "StoreError" | "NotSupportedError"
  | "InvalidPreviousHashError" | "FencedError" | "InvalidArgumentError"
  | "ClosedError" | "GuardReleasedError" | "CallbackError" | "LoggedOutError"
  | "ReentrancyError" | "StaleTokensError";

/** What this library rejects (or throws) with: a JavaScript `Error` with
 * one of these names, the underlying value as `cause` where there is one,
 * and `tokens` where the server issued tokens that must not be lost: the
 * object your `refresh` handler returned, when `save` failed
 * (`CallbackError`), when anything failed after the network call (a
 * `StoreError`, say: `save` may have run, or not been given), or when a
 * logout came during the refresh (`LoggedOutError`). */
export interface CrossTabRefreshError extends Error {
  name: CrossTabRefreshErrorName;
  cause?: unknown;
  tokens?: SessionTokens;
}
"#;

/// The message JavaScript sees: the core's, with its remedy, where it has
/// one, named as a JavaScript call.
fn message(error: &RefreshError) -> String {
    let text = error.kind_message();
    let Some(remedy) = error.remedy() else {
        return text + error.issued_note();
    };
    let what = text.strip_suffix(remedy.text()).unwrap_or(&text);
    let call = match remedy {
        Remedy::LogOut => "call onLogout() to replace it with an empty record",
        Remedy::OpenAnother => "open a new one with CrossTabRefreshManager.open()",
        Remedy::LockAgain => "take a new one with spinLock()",
        Remedy::ReturnTokens => "return tokens from the handler instead of calling refresh()",
    };
    join(&[what, call, error.issued_note()])
}

/// The JavaScript `Error` for `error`.
pub fn to_js(error: RefreshError) -> JsValue {
    let js_error = js_sys::Error::new(&message(&error));
    js_error.set_name(error.name());
    if let Some(cause) = error
        .cause()
        .and_then(|cause| cause.downcast_ref::<JsValue>())
    {
        let _ = Reflect::set(&js_error, &JsValue::from_str("cause"), cause);
    }
    // Tokens the server issued: maybe not persisted (a failed save, or any
    // failure after the network call), or persisted by a refresh that a
    // logout then ended.
    if let Some(tokens) = error.issued_tokens::<JsTokens>() {
        let _ = Reflect::set(&js_error, &JsValue::from_str("tokens"), tokens.value());
    }
    js_error.into()
}

/// An error as JavaScript sees it ([`to_js`]).
impl From<RefreshError> for JsValue {
    fn from(error: RefreshError) -> Self {
        to_js(error)
    }
}

/// Runs `future` as a JavaScript promise whose rejections are named errors.
///
/// Every exported async method goes through [`boxed_promise`], so the
/// executor glue is compiled once rather than once per method.
pub fn promise<F>(future: F) -> js_sys::Promise
where
    F: std::future::Future<Output = Result<JsValue, RefreshError>> + 'static,
{
    boxed_promise(Box::pin(future))
}

type JsResultFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<JsValue, RefreshError>>>>;

/// Polls `future` once at once, inside the method's call, so that what it
/// starts (a lock request, a transaction) starts before the caller's code
/// goes on rather than a microtask later; then, unless it is done, hands it
/// to the executor, which polls it again with a waker of its own. A wake-up
/// of the first poll's waker (a no-op) is not missed: every future here
/// keeps what it waits for as state, which the executor's poll reads.
fn boxed_promise(mut future: JsResultFuture) -> js_sys::Promise {
    let mut first = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut first) {
        std::task::Poll::Ready(Ok(value)) => js_sys::Promise::resolve(&value),
        std::task::Poll::Ready(Err(error)) => js_sys::Promise::reject(&to_js(error)),
        std::task::Poll::Pending => crate::web::task::promise(future),
    }
}

/// In debug builds, reports a Rust panic through `console.error` before the
/// module aborts (then runs any hook installed before). Release builds carry
/// no hook, to stay small; no code path is meant to panic.
pub fn install_panic_hook() {
    #[cfg(debug_assertions)]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let message = format!("cross-tab-refresh panicked: {info}");
                web_sys::console::error_1(&JsValue::from_str(&message));
                previous(info);
            }));
        });
    }
}
