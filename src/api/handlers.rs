//! The application's refresh callbacks, called from the core's flow. They
//! may be sync or async; whatever they throw or reject with becomes a
//! `CallbackError` with that value as `cause`.

use std::cell::RefCell;

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::error::to_js;
use super::options::session_tokens;
use crate::core::{RefreshError, RefreshHandlers, SessionTokens};
use crate::web::global::js_cause;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** The application's side of `CrossTabRefreshManager.refresh`. Each may be sync or async. */
export interface RefreshHandlers {
  /** The network refresh, with the app's current tokens. */
  refresh(): SessionTokens | Promise<SessionTokens>;
  /** Reads the tokens another context saved (from the app's storage). */
  reload(): SessionTokens | Promise<SessionTokens>;
  /** Persists freshly refreshed tokens in the app's storage. */
  save?(tokens: SessionTokens): void | Promise<void>;
}

/** How `refresh()` ended, and the tokens to use from now on. */
export interface RefreshResult {
  outcome: "refreshed" | "adopted";
  tokens: SessionTokens;
}
"#;

/// Checked `RefreshHandlers` of one `refresh()` call.
pub struct JsHandlers {
    this: JsValue,
    refresh: Function,
    reload: Function,
    save: Option<Function>,
    /// The object the last successful `refresh` or `reload` returned, handed
    /// back to the app as is (with any extra fields it carries).
    last_tokens: RefCell<JsValue>,
}

fn callback_error(callback: &'static str, cause: JsValue) -> RefreshError {
    RefreshError::Callback {
        callback,
        cause: js_cause(cause),
    }
}

impl JsHandlers {
    /// Checks that `value` has callable `refresh` and `reload` (and `save`, if present).
    pub fn new(value: JsValue) -> Result<Self, RefreshError> {
        if !value.is_object() {
            return Err(RefreshError::invalid_argument(
                "refresh() takes an object { refresh, reload, save? } of functions",
            ));
        }
        let field = |key: &str| Reflect::get(&value, &JsValue::from_str(key)).unwrap_or_default();
        let function = |key: &str, field: JsValue| {
            field.dyn_into::<Function>().map_err(|_| {
                RefreshError::invalid_argument(format!("handlers.{key} must be a function"))
            })
        };
        let refresh = function("refresh", field("refresh"))?;
        let reload = function("reload", field("reload"))?;
        let save = match field("save") {
            missing if missing.is_undefined() => None,
            save => Some(function("save", save)?),
        };
        Ok(Self {
            this: value,
            refresh,
            reload,
            save,
            last_tokens: RefCell::new(JsValue::UNDEFINED),
        })
    }

    /// The tokens object to hand back to the app.
    pub fn tokens_value(&self) -> JsValue {
        self.last_tokens.borrow().clone()
    }

    async fn call(
        &self,
        name: &'static str,
        f: &Function,
        arg: Option<&JsValue>,
    ) -> Result<JsValue, RefreshError> {
        let returned = match arg {
            Some(arg) => f.call1(&self.this, arg),
            None => f.call0(&self.this),
        }
        .map_err(|thrown| callback_error(name, thrown))?;
        JsFuture::from(Promise::resolve(&returned))
            .await
            .map_err(|rejected| callback_error(name, rejected))
    }

    async fn tokens(
        &self,
        name: &'static str,
        f: &Function,
    ) -> Result<SessionTokens, RefreshError> {
        let value = self.call(name, f, None).await?;
        let tokens = session_tokens(&value, "the resolved tokens")
            .map_err(|invalid| callback_error(name, to_js(invalid)))?;
        *self.last_tokens.borrow_mut() = value;
        Ok(tokens)
    }
}

impl RefreshHandlers for JsHandlers {
    async fn refresh(&self) -> Result<SessionTokens, RefreshError> {
        self.tokens("refresh", &self.refresh).await
    }

    async fn reload(&self) -> Result<SessionTokens, RefreshError> {
        self.tokens("reload", &self.reload).await
    }

    async fn save(&self, _: &SessionTokens) -> Result<(), RefreshError> {
        let Some(save) = &self.save else {
            return Ok(());
        };
        let tokens = self.tokens_value();
        self.call("save", save, Some(&tokens)).await.map(drop)
    }
}
