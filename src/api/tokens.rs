//! Decoding the tokens the app passes in or its handlers resolve with.

use std::rc::Rc;

use wasm_bindgen::prelude::*;

use super::fields::{field, invalid, string_of, wrong_type};
use crate::core::text::join;
use crate::core::{RefreshError, SessionTokens};

/// Decodes `SessionTokens`. Extra fields are ignored; tokens are never
/// echoed in an error message.
pub fn session_tokens(value: &JsValue, what: &'static str) -> Result<SessionTokens, RefreshError> {
    if !value.is_object() || value.is_function() {
        return Err(wrong_type(
            what,
            " must be an object { accessToken, refreshToken? }, got ",
            value,
        ));
    }
    let access = field(value, "accessToken");
    let Some(access_token) = string_of(&access) else {
        return Err(wrong_type(
            what,
            ".accessToken must be a string, got ",
            &access,
        ));
    };
    if access_token.is_empty() {
        return Err(invalid(join(&[what, ".accessToken must not be empty"])));
    }
    let refresh = field(value, "refreshToken");
    let refresh_token = if refresh.is_undefined() || refresh.is_null() {
        None
    } else {
        // "" is accepted: it adds no bytes, so it hashes like none (as the seed).
        match string_of(&refresh) {
            Some(token) => Some(token),
            None => {
                return Err(wrong_type(
                    what,
                    ".refreshToken must be a string or null, got ",
                    &refresh,
                ));
            }
        }
    };
    Ok(SessionTokens {
        access_token,
        refresh_token,
    })
}

/// Tokens as the app's handler returned them: the object itself (handed
/// back as is, with any extra fields it carries) and its decoded tokens.
#[derive(Clone)]
pub struct JsTokens(Rc<(JsValue, SessionTokens)>);

impl JsTokens {
    /// `value` as the handler returned it, and what it decodes to.
    pub fn new(value: JsValue, tokens: SessionTokens) -> Self {
        Self(Rc::new((value, tokens)))
    }

    /// The object the handler resolved with.
    pub fn value(&self) -> &JsValue {
        &self.0.0
    }
}

impl AsRef<SessionTokens> for JsTokens {
    fn as_ref(&self) -> &SessionTokens {
        &self.0.1
    }
}
