//! The token world of helpers.js: a rotating token server and the app's
//! shared token storage in plain JS, a gate in its endpoint, and handlers
//! objects.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;

use super::values::s;

#[wasm_bindgen(module = "/tests/web/helpers.js")]
extern "C" {
    #[wasm_bindgen(js_name = tokenWorld)]
    fn token_world_js(latency_ms: u32) -> JsValue;
    /// A fresh handlers object of one behaviour, by name (see helpers.js).
    #[wasm_bindgen(js_name = handlersNamed)]
    pub fn handlers_named(name: &str) -> JsValue;
    /// A new function that does nothing.
    #[wasm_bindgen(js_name = noopFunction)]
    pub fn noop() -> Function;
    /// `{ listener, seen, heard }`: a subscribe() listener, the event types
    /// it heard, and a promise of the first (see helpers.js).
    #[wasm_bindgen(js_name = eventRecorder)]
    pub fn event_recorder() -> JsValue;
}

/// A rotating token server and the app's shared token storage, in plain JS:
/// `{ issued, calls, invalidGrants, storage, handlers(), exchange() }`.
/// Each refresh token works once; the endpoint answers after `latencyMs`.
pub fn token_world(latency_ms: u32) -> JsValue {
    token_world_js(latency_ms)
}

#[wasm_bindgen(module = "/tests/web/helpers.js")]
extern "C" {
    /// `{ entered, open }`: the world's next endpoint call waits until `open()`.
    #[wasm_bindgen(js_name = armGate)]
    fn arm_gate_js(world: &JsValue) -> JsValue;
    /// `{ handlers, entered, open, app }` (see helpers.js).
    #[wasm_bindgen(js_name = gatedHandlers)]
    pub fn gated_handlers(late: &JsValue, app_tokens: &JsValue) -> JsValue;
}

/// A gate in the world's endpoint: `(entered, open)`; the next call waits
/// at it until `open` is called, and `entered` resolves when it arrives.
pub fn arm_gate(world: &JsValue) -> (Promise, Function) {
    let gate = arm_gate_js(world);
    let entered = Reflect::get(&gate, &s("entered")).unwrap().unchecked_into();
    let open = Reflect::get(&gate, &s("open")).unwrap().unchecked_into();
    (entered, open)
}

pub fn world_number(world: &JsValue, key: &str) -> u32 {
    Reflect::get(world, &s(key)).unwrap().as_f64().unwrap() as u32
}

pub fn handlers_of(world: &JsValue) -> JsValue {
    let handlers: Function = Reflect::get(world, &s("handlers"))
        .unwrap()
        .unchecked_into();
    handlers.call0(world).unwrap()
}
