//! Names and JS values: unique names, plain objects and their fields,
//! tokens, and errors with their names and messages.

use std::cell::Cell;

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

thread_local! {
    static COUNTER: Cell<u32> = const { Cell::new(0) };
}

/// A name no other test in this page uses.
pub fn unique(prefix: &str) -> String {
    let n = COUNTER.with(|c| {
        c.set(c.get() + 1);
        c.get()
    });
    let salt = (js_sys::Math::random() * 1e9) as u64;
    format!("{prefix}-{n}-{salt}")
}

/// A plain object from key/value pairs.
pub fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in pairs {
        Reflect::set(&object, &JsValue::from_str(key), value).unwrap();
    }
    object.into()
}

/// `value[key]`.
pub fn field(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &s(key)).unwrap()
}

pub fn s(text: &str) -> JsValue {
    JsValue::from_str(text)
}

pub fn tokens(access: &str, refresh: Option<&str>) -> JsValue {
    match refresh {
        Some(refresh) => obj(&[("accessToken", s(access)), ("refreshToken", s(refresh))]),
        None => obj(&[("accessToken", s(access))]),
    }
}

pub fn describe(error: &JsValue) -> String {
    format!("{} — {}", error_name(error), message(error))
}

pub fn error_name(error: &JsValue) -> String {
    Reflect::get(error, &s("name"))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

pub fn message(error: &JsValue) -> String {
    Reflect::get(error, &s("message"))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// The name of `error.cause`.
pub fn cause_name(error: &JsValue) -> String {
    error_name(&Reflect::get(error, &s("cause")).unwrap())
}

/// Asserts that `result` failed with a real `Error` named `name`.
#[track_caller]
pub fn assert_error<T>(result: Result<T, JsValue>, name: &str) -> JsValue {
    match result {
        Ok(_) => panic!("expected {name}, but the call succeeded"),
        Err(error) => {
            assert!(
                error.is_instance_of::<js_sys::Error>(),
                "not an Error: {error:?}"
            );
            assert_eq!(error_name(&error), name, "{}", message(&error));
            error
        }
    }
}

/// Asserts that the message of `error` names the failed `step` (as
/// "…: step: cause").
#[track_caller]
pub fn assert_step(error: &JsValue, step: &str) {
    let message = message(error);
    assert!(
        message.contains(&format!(": {step}: ")),
        "expected the step {step:?}: {message}"
    );
}
