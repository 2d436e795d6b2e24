//! `[Symbol.dispose]` that stays harmless.
//!
//! wasm-bindgen makes `[Symbol.dispose]` free the object, after which any
//! call fails with an unnamed error. The classes point it at their own
//! idempotent method instead (`release` for a guard, `close` for a manager),
//! so `using` and a later explicit call both stay harmless.

use std::cell::RefCell;
use std::collections::BTreeSet;

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

thread_local! {
    static WIRED: RefCell<BTreeSet<&'static str>> = const { RefCell::new(BTreeSet::new()) };
}

/// Sets `prototype[Symbol.dispose] = prototype[method]` for the class of
/// `instance`, once per method name. Does nothing where `Symbol.dispose`
/// does not exist.
pub fn wire_dispose(instance: &JsValue, method: &'static str) {
    if WIRED.with(|wired| wired.borrow().contains(method)) {
        return;
    }
    let dispose = Reflect::get(&js_sys::global(), &"Symbol".into())
        .and_then(|symbol| Reflect::get(&symbol, &"dispose".into()));
    let Ok(dispose) = dispose else { return };
    if dispose.is_undefined() {
        return;
    }
    let prototype = Object::get_prototype_of(instance);
    if let Ok(target) = Reflect::get(&prototype, &method.into())
        && target.is_function()
        && Reflect::set(&prototype, &dispose, &target).unwrap_or(false)
    {
        WIRED.with(|wired| wired.borrow_mut().insert(method));
    }
}
