//! The application's refresh callbacks, called from the core's flow. They
//! may be sync or async; whatever they throw or reject with becomes a
//! `CallbackError` with that value as `cause`.

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use super::error::to_js;
use super::fields::field;
use super::tokens::{JsTokens, session_tokens};
use crate::core::text::join;
use crate::core::{ErrorKind, RefreshError, RefreshHandlers};
use crate::web::global::js_cause;
use crate::web::task::Settled;

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

/** How `refresh()` ended, and the tokens to use from now on (the object
 * `refresh` or `reload` resolved with, its own fields kept: typed
 * `SessionTokens`, cast it to your own type). */
export interface RefreshResult {
  outcome: "refreshed" | "adopted";
  tokens: SessionTokens;
}
"#;

#[wasm_bindgen(module = "/src/web/runtime.js")]
extern "C" {
    /// A promise of `value` (a thenable adopted); never throws, also for a
    /// promise whose own `then` is not a function.
    fn settle(value: &JsValue) -> Promise;
}

/// Checked `RefreshHandlers` of one `refresh()` call.
pub struct JsHandlers {
    this: JsValue,
    refresh: Function,
    reload: Function,
    save: Option<Function>,
}

fn callback_error(callback: &'static str, cause: JsValue) -> RefreshError {
    ErrorKind::Callback {
        callback,
        cause: js_cause(cause),
        tokens: None,
    }
    .into()
}

impl JsHandlers {
    /// Checks that `value` has callable `refresh` and `reload` (and `save`, if present).
    pub fn new(value: JsValue) -> Result<Self, RefreshError> {
        if !value.is_object() {
            return Err(RefreshError::invalid_argument(
                "refresh() takes an object { refresh, reload, save? } of functions",
            ));
        }
        let field = |key: &str| field(&value, key);
        let function = |key: &str, field: JsValue| {
            field.dyn_into::<Function>().map_err(|_| {
                RefreshError::invalid_argument(join(&["handlers.", key, " must be a function"]))
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
        })
    }

    /// Calls handler `name` (`f`), and awaits what it returned. Not an
    /// `async fn`: the call is made now, and its callers await the outcome
    /// themselves (one async layer fewer in the .wasm).
    fn call(
        &self,
        name: &'static str,
        f: &Function,
        arg: Option<&JsValue>,
    ) -> Result<Settled, RefreshError> {
        let returned = match arg {
            Some(arg) => f.call1(&self.this, arg),
            None => f.call0(&self.this),
        }
        .map_err(|thrown| callback_error(name, thrown))?;
        Ok(Settled::new(&settle(&returned)))
    }

    async fn tokens(&self, name: &'static str, f: &Function) -> Result<JsTokens, RefreshError> {
        let value = self
            .call(name, f, None)?
            .await
            .map_err(|rejected| callback_error(name, rejected))?;
        let tokens = session_tokens(&value, "the resolved tokens")
            .map_err(|invalid| callback_error(name, to_js(invalid)))?;
        Ok(JsTokens::new(value, tokens))
    }
}

impl RefreshHandlers for JsHandlers {
    type Tokens = JsTokens;

    fn refresh(&self) -> impl Future<Output = Result<JsTokens, RefreshError>> {
        self.tokens("refresh", &self.refresh)
    }

    fn reload(&self) -> impl Future<Output = Result<JsTokens, RefreshError>> {
        self.tokens("reload", &self.reload)
    }

    async fn save(&self, tokens: &JsTokens) -> Result<(), RefreshError> {
        let Some(save) = &self.save else {
            return Ok(());
        };
        self.call("save", save, Some(tokens.value()))?
            .await
            .map(drop)
            .map_err(|rejected| callback_error("save", rejected))
    }
}
