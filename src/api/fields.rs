//! Reading a plain options object: every key known, every value of its
//! type, never coerced. A wrong type is an `InvalidArgumentError` that names
//! the field.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::core::{RefreshError, options};

/// An `InvalidArgumentError` with `message`.
pub fn invalid(message: String) -> RefreshError {
    RefreshError::invalid_argument(message)
}

/// A plain options object, refusing keys it does not know.
pub struct Fields<'a> {
    object: &'a JsValue,
    what: &'static str,
}

impl<'a> Fields<'a> {
    /// `value` as options called `what` (in messages), whose keys are all in `known`.
    pub fn new(
        value: &'a JsValue,
        what: &'static str,
        known: &[&str],
    ) -> Result<Self, RefreshError> {
        if !value.is_object() || value.is_function() {
            return Err(invalid(format!(
                "{what} must be an object, got {}",
                type_of(value)
            )));
        }
        let keys = Object::keys(value.unchecked_ref::<Object>());
        for key in keys.iter() {
            let key = key.as_string().unwrap_or_default();
            if !known.contains(&key.as_str()) {
                let mut message = format!("{what} has an unknown option \"{key}\" (known: ");
                for (index, name) in known.iter().enumerate() {
                    if index > 0 {
                        message.push_str(", ");
                    }
                    message.push_str(name);
                }
                message.push(')');
                return Err(invalid(message));
            }
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
    pub fn get(&self, key: &str) -> Result<Option<JsValue>, RefreshError> {
        let value = Reflect::get(self.object, &JsValue::from_str(key))
            .map_err(|_| invalid(format!("{}.{key} cannot be read", self.what)))?;
        Ok((!value.is_undefined()).then_some(value))
    }

    /// A string field, checked as a name ([`options::name`]).
    pub fn name(&self, key: &str, required: bool) -> Result<Option<String>, RefreshError> {
        let what = self.what;
        match self.get(key)? {
            None if required => Err(invalid(format!("{what}.{key} is required"))),
            None => Ok(None),
            Some(value) => match value.as_string() {
                Some(text) => options::name(what, key, text).map(Some),
                None => Err(invalid(format!(
                    "{what}.{key} must be a string, got {}",
                    type_of(&value)
                ))),
            },
        }
    }

    /// A number field (its range is the caller's rule).
    pub fn number(&self, key: &str) -> Result<Option<f64>, RefreshError> {
        let Some(value) = self.get(key)? else {
            return Ok(None);
        };
        value.as_f64().map(Some).ok_or_else(|| {
            invalid(format!(
                "{}.{key} must be a number of milliseconds, got {}",
                self.what,
                type_of(&value)
            ))
        })
    }

    /// A boolean field; absent is `false`.
    pub fn boolean(&self, key: &str) -> Result<bool, RefreshError> {
        match self.get(key)? {
            None => Ok(false),
            Some(value) => value.as_bool().ok_or_else(|| {
                invalid(format!(
                    "{}.{key} must be a boolean, got {}",
                    self.what,
                    type_of(&value)
                ))
            }),
        }
    }
}

/// A value's type, for messages: `null`, `an array`, or its `typeof`.
pub fn type_of(value: &JsValue) -> String {
    if value.is_null() {
        "null".to_owned()
    } else if js_sys::Array::is_array(value) {
        "an array".to_owned()
    } else {
        value.js_typeof().as_string().unwrap_or_default()
    }
}
