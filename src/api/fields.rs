//! Reading a plain options object: every key known, every value of its
//! type, never coerced. A wrong type is an `InvalidArgumentError` that names
//! the field.

use wasm_bindgen::prelude::*;

use crate::core::text::join;
use crate::core::{RefreshError, options};

#[wasm_bindgen(module = "/src/web/runtime.js")]
extern "C" {
    /// The first own key of `object` not among `known` (joined by ", "),
    /// `null` if none, `true` if its keys cannot be listed.
    #[wasm_bindgen(js_name = unknownKey)]
    fn unknown_key(object: &JsValue, known: &str) -> JsValue;
    /// A value's type, for messages: `null`, `an array`, a string with a
    /// lone surrogate, a getter that throws ([`field`]), or its `typeof`
    /// (also for a value that throws when looked at).
    #[wasm_bindgen(js_name = typeOf)]
    fn type_of_js(value: &JsValue) -> JsValue;
    /// `value` if it is a string with a UTF-8 form, else `undefined`.
    #[wasm_bindgen(js_name = text)]
    fn text_js(value: &JsValue) -> JsValue;
    /// `object[key]`; if reading it throws (a getter, a proxy trap), a value
    /// that no check accepts and that [`type_of`] names, never `undefined`.
    pub fn field(object: &JsValue, key: &str) -> JsValue;
}

// The strings come back as JavaScript values, read by `as_string`: an
// import that returns a Rust `String` has glue of its own to write it.

/// A value's type, for messages: `null`, `an array`, a string with a lone
/// surrogate, a getter that throws ([`field`]), or its `typeof` (also for a
/// value that throws when looked at).
pub fn type_of(value: &JsValue) -> String {
    type_of_js(value).as_string().unwrap_or_default()
}

/// `value` as a string, if it is one with a UTF-8 form: a lone surrogate
/// would be read as U+FFFD, and two strings would read the same.
pub fn string_of(value: &JsValue) -> Option<String> {
    text_js(value).as_string()
}

/// An `InvalidArgumentError` with `message`.
pub fn invalid(message: String) -> RefreshError {
    RefreshError::invalid_argument(message)
}

/// An `InvalidArgumentError` for `value`, of the wrong type: `what`, then
/// `must_be` (" must be an object, got "), then the type of `value`.
pub fn wrong_type(what: &str, must_be: &str, value: &JsValue) -> RefreshError {
    invalid(join(&[what, must_be, &type_of(value)]))
}

/// A plain options object, refusing keys it does not know.
pub struct Fields<'a> {
    object: &'a JsValue,
    what: &'static str,
}

impl<'a> Fields<'a> {
    /// `value` as options called `what` (in messages), whose keys are all
    /// in `known` (their names joined by ", ").
    pub fn new(
        value: &'a JsValue,
        what: &'static str,
        known: &'static str,
    ) -> Result<Self, RefreshError> {
        if !value.is_object() || value.is_function() {
            return Err(wrong_type(what, " must be an object, got ", value));
        }
        let unknown = unknown_key(value, known);
        if let Some(key) = unknown.as_string() {
            return Err(invalid(join(&[
                what,
                " has an unknown option \"",
                &key,
                "\" (known: ",
                known,
                ")",
            ])));
        }
        if unknown.is_truthy() {
            return Err(invalid(join(&[what, " cannot be read"])));
        }
        Ok(Self {
            object: value,
            what,
        })
    }

    /// What the object is called in messages.
    pub fn what(&self) -> &'static str {
        self.what
    }

    /// The field, or `None` when absent or `undefined`.
    pub fn get(&self, key: &str) -> Option<JsValue> {
        let value = field(self.object, key);
        (!value.is_undefined()).then_some(value)
    }

    /// Field `key` is not of the type that `must_be` names (" must be a
    /// string, got ").
    pub fn wrong_field(&self, key: &str, must_be: &str, value: &JsValue) -> RefreshError {
        invalid(join(&[self.what, ".", key, must_be, &type_of(value)]))
    }

    /// A string field, checked as a name ([`options::name`]).
    pub fn name(&self, key: &str, required: bool) -> Result<Option<String>, RefreshError> {
        let what = self.what;
        match self.get(key) {
            None if required => Err(invalid(join(&[what, ".", key, " is required"]))),
            None => Ok(None),
            Some(value) => match string_of(&value) {
                Some(text) => options::name(what, key, text).map(Some),
                None => Err(self.wrong_field(key, " must be a string, got ", &value)),
            },
        }
    }

    /// A number field (its range is the caller's rule).
    pub fn number(&self, key: &str) -> Result<Option<f64>, RefreshError> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        match value.as_f64() {
            Some(number) => Ok(Some(number)),
            None => Err(self.wrong_field(key, " must be a number of milliseconds, got ", &value)),
        }
    }

    /// A boolean field; absent is `false`.
    pub fn boolean(&self, key: &str) -> Result<bool, RefreshError> {
        match self.get(key) {
            None => Ok(false),
            Some(value) => match value.as_bool() {
                Some(flag) => Ok(flag),
                None => Err(self.wrong_field(key, " must be a boolean, got ", &value)),
            },
        }
    }
}
