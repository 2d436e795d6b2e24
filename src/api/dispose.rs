//! `[Symbol.dispose]` that stays harmless.
//!
//! wasm-bindgen makes `[Symbol.dispose]` free the object, after which any
//! call fails with an unnamed error. The classes point it at their own
//! idempotent method instead (`release` for a guard, `close` for a manager),
//! so `using` and a later explicit call both stay harmless.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/web/runtime.js")]
extern "C" {
    /// Sets `prototype[Symbol.dispose] = prototype[method]` for the class of
    /// `instance`. Does nothing where `Symbol.dispose` does not exist.
    #[wasm_bindgen(js_name = wireDispose)]
    pub fn wire_dispose(instance: &JsValue, method: &str);
}
