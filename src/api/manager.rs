//! `CrossTabRefreshManager`: one session's refresh lock, seen from JavaScript.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;

use super::dispose::wire_dispose;
use super::error::{promise, to_js};
use super::guard::RefreshLockGuard;
use super::handlers::JsHandlers;
use super::options::{manager_options, session_tokens, spin_lock_options};
use crate::core::{RefreshError, SessionHash};
use crate::web::broadcast::unsubscribe;
use crate::web::{LockOptions, SessionConfig, WebRefreshManager, open_session};

pub use crate::web::session::lock_name;

type CoreManager = WebRefreshManager;

struct Inner {
    core: CoreManager,
    session: String,
    holder: String,
    lock_kind: &'static str,
    lock_timeout_ms: u32,
    closed: Rc<Cell<bool>>,
    /// The `refresh()` in flight in this context, shared by concurrent callers.
    in_flight: RefCell<Option<Promise>>,
}

impl Inner {
    fn check_open(&self) -> Result<(), RefreshError> {
        if self.closed.get() {
            Err(RefreshError::Closed)
        } else {
            Ok(())
        }
    }

    fn lock_options(&self, options: super::options::SpinLockOptions) -> LockOptions {
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
    inner: Rc<Inner>,
}

/// A hash in the seed's hex form, or `null` (never `undefined`) for none.
pub(crate) fn hex_or_null(hash: Option<&SessionHash>) -> JsValue {
    hash.map_or(JsValue::NULL, |hash| JsValue::from_str(&hash.to_hex()))
}

async fn open(options: JsValue) -> Result<CrossTabRefreshManager, RefreshError> {
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
    let core = open_session(config).await?;
    Ok(CrossTabRefreshManager {
        inner: Rc::new(Inner {
            lock_kind: core.lock().kind(),
            core,
            session: options.session,
            holder,
            lock_timeout_ms: options.lock_timeout_ms,
            closed: Rc::new(Cell::new(false)),
            in_flight: RefCell::new(None),
        }),
    })
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
            let manager = JsValue::from(open(options).await?);
            wire_dispose(&manager, "close");
            Ok(manager)
        })
    }

    /// The session this manager coordinates.
    #[wasm_bindgen(getter)]
    pub fn session(&self) -> String {
        self.inner.session.clone()
    }

    /// This context's name in diagnostics.
    #[wasm_bindgen(getter)]
    pub fn holder(&self) -> String {
        self.inner.holder.clone()
    }

    /// Which cross-context lock this manager uses.
    #[wasm_bindgen(getter, js_name = lockKind, unchecked_return_type = "\"web-locks\" | \"lease\"")]
    pub fn lock_kind(&self) -> String {
        self.inner.lock_kind.to_owned()
    }

    /// The hash (`0x…`) of the tokens this context knows, or `null`.
    #[wasm_bindgen(getter, js_name = knownSessionHash, unchecked_return_type = "string | null")]
    pub fn known_session_hash(&self) -> JsValue {
        hex_or_null(self.inner.core.known_session_hash().as_ref())
    }

    /// Remembers the hash of `tokens` (loaded from the app's storage) in
    /// memory only.
    #[wasm_bindgen(js_name = restoreSession, unchecked_return_type = "Promise<void>")]
    pub fn restore_session(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SessionTokens")] tokens: JsValue,
    ) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            inner.check_open()?;
            inner
                .core
                .restore_session(&session_tokens(&tokens, "tokens")?);
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Waits for the session's lock (default `lockTimeoutMs`), then reads the
    /// stored hash. Rejects with `LockTimeoutError`, `AbortError`,
    /// `InvalidPreviousHashError`, `StoreError` or `ClosedError`.
    #[wasm_bindgen(js_name = spinLock, unchecked_return_type = "Promise<RefreshLockGuard>")]
    pub fn spin_lock(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "SpinLockOptions")] options: Option<JsValue>,
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

    /// The stored hash and generation as they are now, read without taking
    /// the lock (for diagnostics and display). Rejects like `spinLock` does
    /// for an unreadable record or a failing store.
    #[wasm_bindgen(js_name = storedState, unchecked_return_type = "Promise<StoredState>")]
    pub fn stored_state(&self) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            inner.check_open()?;
            let stored = inner.core.stored_state().await?;
            let value = Object::new();
            let _ = Reflect::set(&value, &"dbHash".into(), &hex_or_null(stored.hash.as_ref()));
            // Generations stay below 2^53, so the conversion is exact.
            let _ = Reflect::set(
                &value,
                &"generation".into(),
                &(stored.generation as f64).into(),
            );
            Ok(JsValue::from(value))
        })
    }

    /// What can be told of the session's lock right now: whether anyone
    /// holds it, whether this manager does, how many requests wait (Web
    /// Locks only; `null` for the lease lock), and who holds it (Web Locks
    /// client IDs, or the lease holder's name).
    #[wasm_bindgen(js_name = lockState, unchecked_return_type = "Promise<LockState>")]
    pub fn lock_state(&self) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            inner.check_open()?;
            let state = inner.core.lock().state().await?;
            let value = Object::new();
            let set = |key: &str, v: JsValue| {
                let _ = Reflect::set(&value, &key.into(), &v);
            };
            set("kind", inner.lock_kind.into());
            set("held", state.held.into());
            set("heldByThisManager", state.held_here.into());
            set(
                "waiting",
                state.waiting.map_or(JsValue::NULL, JsValue::from),
            );
            let holders: js_sys::Array =
                state.holders.iter().map(|h| JsValue::from_str(h)).collect();
            set("holders", holders.into());
            set(
                "expiresAt",
                state.expires_at.map_or(JsValue::NULL, JsValue::from),
            );
            Ok(JsValue::from(value))
        })
    }

    /// Logs the session out everywhere: replaces the stored hash by a
    /// tombstone (without waiting for the lock) and forgets the known hash.
    #[wasm_bindgen(js_name = onLogout, unchecked_return_type = "Promise<void>")]
    pub fn on_logout(&self) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            inner.check_open()?;
            inner.core.on_logout().await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Marks the manager closed and closes its database connection. Later
    /// calls reject with `ClosedError`; closing twice is harmless. A guard
    /// still held can be released.
    pub fn close(&self) {
        self.inner.closed.set(true);
        self.inner.core.store().close();
        self.inner.core.notifier().close();
    }

    /// Refreshes the session once across all contexts: takes the lock,
    /// then either adopts tokens another context stored (`reload`, outcome
    /// `"adopted"`, no network call) or calls `refresh`, `save`, and stores
    /// the new hash (outcome `"refreshed"`). Concurrent calls in one context
    /// share one refresh. Rejects with `CallbackError` (the callback's error
    /// as `cause`), `FencedError` (logged out meanwhile), `LockTimeoutError`,
    /// `StoreError`, `InvalidArgumentError` or `ClosedError`.
    #[wasm_bindgen(unchecked_return_type = "Promise<RefreshResult>")]
    pub fn refresh(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RefreshHandlers")] handlers: JsValue,
    ) -> Promise {
        if let Some(in_flight) = self.inner.in_flight.borrow().clone() {
            return in_flight;
        }
        let handlers = match self
            .inner
            .check_open()
            .and_then(|()| JsHandlers::new(handlers))
        {
            Ok(handlers) => handlers,
            Err(error) => return Promise::reject(&to_js(error)),
        };
        let inner = self.inner.clone();
        let in_flight = promise(async move {
            let options = inner.lock_options(Default::default());
            let result = inner.core.refresh(options, &handlers).await;
            inner.in_flight.borrow_mut().take();
            let (outcome, _) = result?;
            let value = Object::new();
            let _ = Reflect::set(&value, &"outcome".into(), &outcome.as_str().into());
            let _ = Reflect::set(&value, &"tokens".into(), &handlers.tokens_value());
            Ok(JsValue::from(value))
        });
        *self.inner.in_flight.borrow_mut() = Some(in_flight.clone());
        in_flight
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
        let notifier = self.inner.core.notifier();
        let id = notifier.subscribe(listener);
        let listeners = notifier.listeners();
        Ok(Closure::<dyn FnMut()>::new(move || unsubscribe(&listeners, id)).into_js_value())
    }
}
