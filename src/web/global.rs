//! The global scope, whatever it is (Window or any kind of worker): no code
//! path assumes `window`.

use std::future::Future;
use std::pin::Pin;

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use crate::core::text::join;
use crate::core::{Cause, ErrorKind, RefreshError, SessionHash};

#[wasm_bindgen(module = "/src/web/runtime.js")]
extern "C" {
    #[wasm_bindgen(js_name = describe)]
    fn describe_js(value: &JsValue) -> JsValue;
}

/// The text of a failure: `name: message` of a JavaScript error (its message
/// alone if it has no name), a string as it is, else `unknown error` (see
/// `runtime.js`; the string comes back as a JavaScript value, read by
/// `as_string`, with no glue of its own).
pub fn describe(value: &JsValue) -> String {
    describe_js(value).as_string().unwrap_or_default()
}

#[wasm_bindgen]
extern "C" {
    /// `setTimeout`, as every global scope has it.
    #[wasm_bindgen(js_name = setTimeout)]
    pub fn set_timeout(handler: &js_sys::Function, timeout_ms: i32) -> JsValue;

    /// `setInterval`, as every global scope has it.
    #[wasm_bindgen(js_name = setInterval)]
    pub fn set_interval(handler: &js_sys::Function, interval_ms: i32) -> JsValue;

    /// `clearInterval`, as every global scope has it.
    #[wasm_bindgen(js_name = clearInterval)]
    pub fn clear_interval(handle: &JsValue);
}

/// A hash as JavaScript sees it: the seed's hex form, or `null` (never
/// `undefined`) for none.
pub fn hash_or_null(hash: Option<&SessionHash>) -> JsValue {
    hash.map_or(JsValue::NULL, |hash| JsValue::from_str(&hash.to_hex()))
}

/// A cause carrying a JavaScript value (a `DOMException`, a rejection reason).
pub fn js_cause(value: JsValue) -> Option<Cause> {
    Some(Cause::new(value))
}

/// A `StoreError` for a failed IndexedDB step, keeping the exception as cause.
pub fn store_error(step: &str, value: JsValue) -> RefreshError {
    ErrorKind::Store {
        message: join(&[step, ": ", &describe(&value)]),
        cause: js_cause(value),
    }
    .into()
}

/// A future of `then` applied to how `promise` settled: the promise's own
/// future and no state machine of its own. (Polled again once it is ready,
/// it stays pending.)
pub fn settled<T, F: FnOnce(Result<JsValue, JsValue>) -> T>(
    promise: Promise,
    then: F,
) -> impl Future<Output = T> + use<T, F> {
    let mut future = super::task::Settled::new(&promise);
    let mut then = Some(then);
    std::future::poll_fn(move |cx| match Pin::new(&mut future).poll(cx) {
        std::task::Poll::Ready(outcome) => then.take().map_or(std::task::Poll::Pending, |then| {
            std::task::Poll::Ready(then(outcome))
        }),
        std::task::Poll::Pending => std::task::Poll::Pending,
    })
}

/// Runs `future` to its end in the background, taking its first step now: a
/// transaction it starts is ordered before any started after this call.
/// (The first poll's waker does nothing: every future of this crate keeps
/// what it waits for as state, and the executor polls it again in the next
/// microtask.)
pub fn spawn_now(future: impl Future<Output = ()> + 'static) {
    let mut future = Box::pin(future);
    let mut first = std::task::Context::from_waker(std::task::Waker::noop());
    if future.as_mut().poll(&mut first).is_pending() {
        super::task::spawn(future);
    }
}
