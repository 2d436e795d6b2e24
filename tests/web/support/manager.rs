//! Sessions and their managers ("tabs"): opening them, awaiting the
//! promises they export, taking the lock, refreshing, and waiting.

use cross_tab_refresh::api::{CrossTabRefreshManager, RefreshLockGuard};
use js_sys::Promise;
use wasm_bindgen::convert::TryFromJsValue;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::values::{describe, field, obj, s, unique};

/// A session in its own database: what every "tab" of one test shares.
pub struct Session {
    pub database: String,
    pub session: String,
}

impl Session {
    pub fn new() -> Self {
        Self {
            database: unique("db"),
            session: unique("@user:example.org|DEVICE"),
        }
    }

    pub fn options(&self) -> JsValue {
        obj(&[
            ("session", s(&self.session)),
            ("databaseName", s(&self.database)),
        ])
    }

    pub fn lock_name(&self) -> String {
        cross_tab_refresh::api::manager::lock_name(&self.database, &self.session)
    }

    /// A new manager ("tab") of this session.
    pub async fn open(&self) -> CrossTabRefreshManager {
        open(self.options())
            .await
            .unwrap_or_else(|e| panic!("open failed: {}", describe(&e)))
    }
}

/// A new manager of `session` on the lease lock.
pub async fn lease_tab(session: &Session) -> CrossTabRefreshManager {
    let options = obj(&[
        ("session", s(&session.session)),
        ("databaseName", s(&session.database)),
        ("lock", s("lease")),
    ]);
    open(options).await.unwrap()
}

/// `spinLock()` options of a timeout of `ms`.
pub fn timeout(ms: u32) -> JsValue {
    obj(&[("timeoutMs", JsValue::from(ms))])
}

pub async fn open(options: JsValue) -> Result<CrossTabRefreshManager, JsValue> {
    settle(CrossTabRefreshManager::open(options)).await
}

pub async fn settle<T: TryFromJsValue>(promise: Promise) -> Result<T, JsValue> {
    let value = JsFuture::from(promise).await?;
    Ok(T::try_from_js_value(value).unwrap_or_else(|_| panic!("unexpected value type")))
}

pub async fn done(promise: Promise) -> Result<(), JsValue> {
    JsFuture::from(promise).await.map(drop)
}

pub async fn lock(
    manager: &CrossTabRefreshManager,
    options: JsValue,
) -> Result<RefreshLockGuard, JsValue> {
    settle(manager.spin_lock(Some(options))).await
}

pub async fn lock_now(manager: &CrossTabRefreshManager) -> RefreshLockGuard {
    lock(manager, JsValue::UNDEFINED)
        .await
        .unwrap_or_else(|e| panic!("spinLock failed: {}", describe(&e)))
}

/// Waits until one request waits for the session's lock at the browser, as
/// `manager.lockState()` tells; panics if it never does.
pub async fn until_one_waits(manager: &CrossTabRefreshManager) {
    for _ in 0..200 {
        let state = JsFuture::from(manager.lock_state()).await.unwrap();
        if field(&state, "waiting").as_f64() == Some(1.0) {
            return;
        }
    }
    panic!("the wait never reached the lock manager");
}

/// Waits, while the session's lock stays held, until no request waits for
/// it (the browser takes a request out in a task of its own); panics if one
/// stays.
pub async fn until_nothing_waits(manager: &CrossTabRefreshManager) {
    for _ in 0..20 {
        let state = JsFuture::from(manager.lock_state()).await.unwrap();
        assert_eq!(field(&state, "held"), JsValue::TRUE);
        if field(&state, "waiting").as_f64() == Some(0.0) {
            return;
        }
    }
    panic!("a request is still queued while the holder holds");
}

/// `manager.refresh(handlers)`, awaited.
pub async fn refresh(
    manager: &CrossTabRefreshManager,
    handlers: JsValue,
) -> Result<JsValue, JsValue> {
    JsFuture::from(manager.refresh(handlers)).await
}

pub async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| {
        cross_tab_refresh::web::global::set_timeout(&resolve, ms);
    });
    JsFuture::from(promise).await.unwrap();
}

/// Waits until `condition` holds, checking every 5 ms; panics naming
/// `what` after `ms`.
pub async fn until(what: &str, ms: u32, condition: impl Fn() -> bool) {
    let start = js_sys::Date::now();
    while !condition() {
        assert!(
            js_sys::Date::now() - start < f64::from(ms),
            "{what}: not within {ms} ms"
        );
        sleep(5).await;
    }
}
