//! `CrossTabRefreshManager`: one session's refresh lock, seen from JavaScript.
//! Its `refresh()` is in [`super::refresh`].

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use super::dispose::wire_dispose;
use super::error::{promise, to_js};
use super::guard::RefreshLockGuard;
use super::options::{manager_options, spin_lock_options};
use super::tokens::session_tokens;
use crate::core::{ErrorKind, RefreshError};
use crate::web::global::hash_or_null;
use crate::web::{LockOptions, SessionConfig, WebRefreshManager, close_session, new_session};

pub use crate::web::session::lock_name;

type CoreManager = WebRefreshManager;

pub(super) struct Inner {
    pub(super) core: CoreManager,
    // The getters' strings, made JavaScript strings once (a `String` getter
    // would copy it out of the .wasm at every read, through more glue).
    session: JsValue,
    holder: JsValue,
    pub(super) lock_kind: JsValue,
    lock_timeout_ms: u32,
    closed: Rc<Cell<bool>>,
}

impl Inner {
    pub(super) fn check_open(&self) -> Result<(), RefreshError> {
        if self.closed.get() {
            Err(ErrorKind::Closed.into())
        } else {
            Ok(())
        }
    }

    pub(super) fn lock_options(&self, options: super::options::SpinLockOptions) -> LockOptions {
        LockOptions {
            timeout_ms: options.timeout_ms.unwrap_or(self.lock_timeout_ms),
            signal: options.signal,
            steal: options.steal,
        }
    }
}

/// Coordinates the token refreshes of one session across every tab, window
/// and worker of this origin. Create it with `CrossTabRefreshManager.open()`.
#[wasm_bindgen]
pub struct CrossTabRefreshManager {
    pub(super) inner: Rc<Inner>,
}

#[wasm_bindgen]
impl CrossTabRefreshManager {
    /// Opens the manager of one session. Rejects with `InvalidArgumentError`
    /// for bad options, `NotSupportedError` where this context has no
    /// IndexedDB (or no Web Locks with `lock: "web-locks"`; `"auto"` then uses
    /// the lease lock), `StoreError` if the database cannot be opened.
    #[wasm_bindgen(unchecked_return_type = "Promise<CrossTabRefreshManager>")]
    pub fn open(
        #[wasm_bindgen(unchecked_param_type = "ManagerOptions")] options: JsValue,
    ) -> Promise {
        promise(async move {
            super::error::install_panic_hook();
            let options = manager_options(&options)?;
            let mut config = SessionConfig::new(options.session.clone());
            config.database_name = options.database_name;
            config.lock = options.lock;
            config.lease_ms = options.lease_ms;
            if let Some(holder) = options.holder {
                config.holder = holder;
            }
            let holder = config.holder.clone();
            let core = new_session(config)?;
            // Opens the database now (creating it if needed).
            core.store().connection().database().await?;
            let manager = JsValue::from(CrossTabRefreshManager {
                inner: Rc::new(Inner {
                    lock_kind: core.lock().kind().into(),
                    core,
                    session: options.session.into(),
                    holder: holder.into(),
                    lock_timeout_ms: options.lock_timeout_ms,
                    closed: Rc::new(Cell::new(false)),
                }),
            });
            wire_dispose(&manager, "close");
            Ok(manager)
        })
    }

    /// The session this manager coordinates.
    #[wasm_bindgen(getter, unchecked_return_type = "string")]
    pub fn session(&self) -> JsValue {
        self.inner.session.clone()
    }

    /// This context's name in diagnostics.
    #[wasm_bindgen(getter, unchecked_return_type = "string")]
    pub fn holder(&self) -> JsValue {
        self.inner.holder.clone()
    }

    /// Which cross-context lock this manager uses.
    #[wasm_bindgen(getter, js_name = lockKind, unchecked_return_type = "\"web-locks\" | \"lease\"")]
    pub fn lock_kind(&self) -> JsValue {
        self.inner.lock_kind.clone()
    }

    /// The hash (`0x…`) of the tokens this context knows, or `null`.
    #[wasm_bindgen(getter, js_name = knownSessionHash, unchecked_return_type = "string | null")]
    pub fn known_session_hash(&self) -> JsValue {
        hash_or_null(self.inner.core.known_session_hash().as_ref())
    }

    /// Remembers the hash of `tokens` (loaded from the app's storage) in
    /// memory, with the stored record it is learned at: a logout stored
    /// after this makes the next `refresh()` reject with `LoggedOutError`,
    /// one stored before does not (a new login). Writes nothing. Rejects
    /// with `InvalidArgumentError`, `StoreError`, `InvalidPreviousHashError`
    /// or `ClosedError`.
    #[wasm_bindgen(js_name = restoreSession, unchecked_return_type = "Promise<void>")]
    pub fn restore_session(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SessionTokens")] tokens: JsValue,
    ) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            inner.check_open()?;
            let tokens = session_tokens(&tokens, "tokens")?;
            let (hash, load) = inner.core.restoring(&tokens)?;
            inner.core.restored(hash, load.await?);
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Waits for the session's lock (default `lockTimeoutMs`), then reads the
    /// stored hash. Rejects with `LockTimeoutError`, `AbortError`,
    /// `InvalidPreviousHashError`, `StoreError`, `ClosedError`,
    /// `InvalidArgumentError` (bad options), `NotSupportedError` (the lock
    /// manager refused the request) or `ReentrancyError` (called from a
    /// handler of this manager's refresh, without `steal`).
    #[wasm_bindgen(js_name = spinLock, unchecked_return_type = "Promise<RefreshLockGuard>")]
    pub fn spin_lock(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "SpinLockOptions | null")] options: Option<
            JsValue,
        >,
    ) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            inner.check_open()?;
            let options = options.unwrap_or(JsValue::UNDEFINED);
            let options = inner.lock_options(spin_lock_options(&options)?);
            let guard = inner.core.spin_lock(options).await?;
            Ok(RefreshLockGuard::into_js(guard, inner.closed.clone()))
        })
    }

    /// Logs the session out everywhere: replaces the stored hash by a
    /// tombstone (without waiting for the lock) and forgets the known hash.
    #[wasm_bindgen(js_name = onLogout, unchecked_return_type = "Promise<void>")]
    pub fn on_logout(&self) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            inner.check_open()?;
            let written = inner.core.logging_out()?.await?;
            inner.core.logged_out(written);
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Marks the manager closed: a `spinLock()` or `refresh()` waiting for
    /// the lock rejects with `ClosedError`, and so does every later call.
    /// Nothing opens the database again. A `refresh()` whose handlers are
    /// running runs to its end (the old refresh token may be spent: the new
    /// hash is still stored, under the lock, over the open connection);
    /// the lock, the connection and the channel close once it ends. The
    /// lease lock gives back a lease a guard holds. Closing twice is
    /// harmless. A Web Locks guard still held can be released.
    pub fn close(&self) {
        if !self.inner.closed.replace(true) {
            close_session(&self.inner.core);
        }
    }

    /// Calls `listener` when another context of this session stores new
    /// tokens or logs out. Returns the function that unsubscribes (harmless
    /// to call twice). Throws `InvalidArgumentError` if `listener` is not a
    /// function, `ClosedError` after `close()`.
    #[wasm_bindgen(unchecked_return_type = "() => void")]
    pub fn subscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(event: SessionEvent) => void")] listener: JsValue,
    ) -> Result<JsValue, JsValue> {
        self.inner.check_open().map_err(to_js)?;
        let listener: Function = listener.dyn_into().map_err(|_| {
            to_js(RefreshError::invalid_argument(
                "subscribe() takes a function",
            ))
        })?;
        Ok(self.inner.core.notifier().subscribe(&listener).into())
    }
}
