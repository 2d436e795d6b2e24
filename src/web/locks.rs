//! The Web Locks API, bound by hand so that no consumer needs
//! `web_sys_unstable_apis`, and held across async Rust until the guard drops.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal};

use super::global::{clear_timeout, describe, js_cause, navigator, property, set_timeout};
use crate::core::{CrossContextLock, RefreshError};

#[wasm_bindgen]
extern "C" {
    /// `navigator.locks`.
    #[wasm_bindgen(extends = Object)]
    #[derive(Clone, Debug)]
    pub type LockManager;

    #[wasm_bindgen(method, catch, js_name = request)]
    fn request(
        this: &LockManager,
        name: &str,
        options: &Object,
        callback: &Function,
    ) -> Result<LockRequest, JsValue>;

    /// `promise.catch(onRejected)` with a plain function, so that the
    /// handler outlives this call without a Rust closure to keep alive.
    #[wasm_bindgen(method, js_name = catch)]
    fn catch_with(this: &LockRequest, on_rejected: &JsValue) -> Promise;

    /// The promise `navigator.locks.request` returns.
    #[wasm_bindgen(extends = Object)]
    type LockRequest;

    /// `navigator.locks.query()`.
    #[wasm_bindgen(method, catch)]
    pub fn query(this: &LockManager) -> Result<Promise, JsValue>;
}

/// `navigator.locks`, if this context has it.
pub fn lock_manager() -> Option<LockManager> {
    let locks = property(&navigator()?, "locks")?;
    property(&locks, "request")?
        .is_function()
        .then(|| locks.unchecked_into())
}

/// One named exclusive Web Lock.
pub struct WebLocks {
    manager: LockManager,
    name: String,
    held_here: Rc<Cell<u32>>,
}

impl WebLocks {
    /// The lock `name` of `manager`.
    pub fn new(manager: LockManager, name: String) -> Self {
        Self {
            manager,
            name,
            held_here: Rc::default(),
        }
    }

    /// The lock's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// How to wait for a [`WebLocks`] lock.
#[derive(Clone, Debug, Default)]
pub struct LockOptions {
    /// How long to wait; 0 means "only if free right now".
    pub timeout_ms: u32,
    /// Aborts the wait.
    pub signal: Option<AbortSignal>,
    /// Take the lock from its holder at once.
    pub steal: bool,
}

/// Holds a Web Lock: the lock's callback promise settles when this drops.
pub struct WebLockGuard {
    release: Function,
    held_here: Rc<Cell<u32>>,
}

impl Drop for WebLockGuard {
    fn drop(&mut self) {
        self.held_here.set(self.held_here.get().saturating_sub(1));
        // Resolving the promise returned to `request` releases the lock; a
        // resolve function never throws.
        let _ = self.release.call0(&JsValue::UNDEFINED);
    }
}

/// Clears the timer and detaches the abort listener when the wait ends.
struct WaitCleanup {
    timer: Option<JsValue>,
    _on_timeout: Option<Closure<dyn FnMut()>>,
    signal: Option<(AbortSignal, Closure<dyn FnMut()>)>,
}

impl Drop for WaitCleanup {
    fn drop(&mut self) {
        if let Some(timer) = &self.timer {
            clear_timeout(timer);
        }
        if let Some((signal, listener)) = &self.signal {
            let _ = signal
                .remove_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
        }
    }
}

fn set(target: &Object, key: &str, value: &JsValue) {
    // Defining a property on a fresh plain object cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

fn lock_unusable(value: JsValue) -> RefreshError {
    RefreshError::NotSupported {
        message: format!("navigator.locks.request failed: {}", describe(&value)),
        cause: js_cause(value),
    }
}

impl CrossContextLock for WebLocks {
    type Guard = WebLockGuard;
    type Options = LockOptions;

    async fn acquire(&self, options: LockOptions) -> Result<WebLockGuard, RefreshError> {
        if let Some(signal) = &options.signal
            && signal.aborted()
        {
            return Err(RefreshError::Aborted {
                cause: js_cause(signal.reason()),
            });
        }
        // Fast path: a free lock is taken without arming a timer and an
        // abort controller. `ifAvailable` never jumps the queue.
        if !options.steal && options.timeout_ms > 0 {
            match self.request(&options, true).await {
                Err(RefreshError::LockTimeout { .. }) => {}
                granted_or_failed => return granted_or_failed,
            }
        }
        self.request(&options, false).await
    }
}

impl WebLocks {
    /// One `navigator.locks.request`; with `if_available`, only if the lock
    /// is free now (else `LockTimeout`).
    async fn request(
        &self,
        options: &LockOptions,
        if_available: bool,
    ) -> Result<WebLockGuard, RefreshError> {
        // `held` settles when the guard drops; `granted` when the browser
        // calls back with the lock (or `null`, for an unavailable `ifAvailable`).
        let mut release = None;
        let held = Promise::new(&mut |resolve, _| release = Some(resolve));
        let mut settle = None;
        let granted = Promise::new(&mut |resolve, reject| settle = Some((resolve, reject)));
        let (Some(release), Some((grant, refuse))) = (release, settle) else {
            unreachable_executor();
        };
        let callback = Closure::once_into_js(move |lock: JsValue| -> JsValue {
            let _ = grant.call1(&JsValue::UNDEFINED, &lock);
            if lock.is_null() {
                JsValue::UNDEFINED
            } else {
                held.into()
            }
        });

        let request_options = Object::new();
        set(&request_options, "mode", &JsValue::from_str("exclusive"));
        let timed_out = Rc::new(Cell::new(false));
        let mut cleanup = WaitCleanup {
            timer: None,
            _on_timeout: None,
            signal: None,
        };
        if options.steal {
            set(&request_options, "steal", &JsValue::TRUE);
        } else if if_available || options.timeout_ms == 0 {
            set(&request_options, "ifAvailable", &JsValue::TRUE);
        } else {
            let controller = AbortController::new().map_err(lock_unusable)?;
            set(&request_options, "signal", &controller.signal());
            let on_timeout = {
                let (controller, timed_out) = (controller.clone(), timed_out.clone());
                Closure::<dyn FnMut()>::new(move || {
                    timed_out.set(true);
                    controller.abort();
                })
            };
            let timeout = i32::try_from(options.timeout_ms).unwrap_or(i32::MAX);
            cleanup.timer = Some(set_timeout(on_timeout.as_ref().unchecked_ref(), timeout));
            cleanup._on_timeout = Some(on_timeout);
            if let Some(signal) = options.signal.as_ref() {
                let listener = {
                    let signal = signal.clone();
                    Closure::<dyn FnMut()>::new(move || {
                        controller.abort_with_reason(&signal.reason())
                    })
                };
                signal
                    .add_event_listener_with_callback("abort", listener.as_ref().unchecked_ref())
                    .map_err(lock_unusable)?;
                cleanup.signal = Some((signal.clone(), listener));
            }
        }

        let request = self
            .manager
            .request(&self.name, &request_options, callback.unchecked_ref())
            .map_err(lock_unusable)?;
        // A rejected request (aborted, timed out, refused) rejects `granted`;
        // after the grant the rejection of a stolen lock is ignored here.
        let on_refused = Closure::once_into_js(move |error: JsValue| {
            let _ = refuse.call1(&JsValue::UNDEFINED, &error);
        });
        let _ = request.catch_with(&on_refused);

        let outcome = JsFuture::from(granted).await;
        drop(cleanup);
        match outcome {
            Ok(lock) if lock.is_null() => Err(RefreshError::LockTimeout { timeout_ms: 0 }),
            Ok(_) => {
                self.held_here.set(self.held_here.get() + 1);
                Ok(WebLockGuard {
                    release,
                    held_here: self.held_here.clone(),
                })
            }
            Err(_) if timed_out.get() => Err(RefreshError::LockTimeout {
                timeout_ms: options.timeout_ms,
            }),
            Err(error) => match &options.signal {
                Some(signal) if signal.aborted() => Err(RefreshError::Aborted {
                    cause: js_cause(signal.reason()),
                }),
                _ => Err(lock_unusable(error)),
            },
        }
    }
}

impl WebLocks {
    /// What `navigator.locks.query()` tells of this lock.
    pub async fn state(&self) -> Result<super::LockState, RefreshError> {
        let snapshot = JsFuture::from(self.manager.query().map_err(lock_unusable)?)
            .await
            .map_err(lock_unusable)?;
        let entries = |key: &str| -> Vec<JsValue> {
            property(&snapshot, key)
                .map(|list| js_sys::Array::from(&list).iter().collect())
                .unwrap_or_default()
        };
        let ours = |entry: &JsValue| {
            property(entry, "name")
                .and_then(|n| n.as_string())
                .as_deref()
                == Some(self.name.as_str())
        };
        let held: Vec<JsValue> = entries("held").into_iter().filter(|e| ours(e)).collect();
        let waiting = entries("pending").iter().filter(|e| ours(e)).count();
        Ok(super::LockState {
            held: !held.is_empty(),
            held_here: self.held_here.get() > 0,
            waiting: Some(u32::try_from(waiting).unwrap_or(u32::MAX)),
            holders: held
                .iter()
                .filter_map(|e| property(e, "clientId").and_then(|id| id.as_string()))
                .collect(),
            expires_at: None,
        })
    }
}

fn unreachable_executor() -> ! {
    wasm_bindgen::throw_str(
        "unreachable: a Promise executor runs synchronously inside `new Promise`",
    )
}
