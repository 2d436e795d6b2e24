//! The browser from plain JavaScript (browser.js, faults.js, watches.js,
//! helpers.js): raw IndexedDB records and leases, Web Locks, workers,
//! channel messages, injected faults, watched timers, and a time limit on a
//! promise.

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::manager::Session;
use super::values::describe;

#[wasm_bindgen(module = "/tests/web/browser.js")]
extern "C" {
    #[wasm_bindgen(js_name = rawValue)]
    fn raw_value(database: &str, store: &str, key: &str) -> Promise;
    #[wasm_bindgen(js_name = putRawValue)]
    fn put_raw_value(database: &str, store: &str, key: &str, value: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = lapseLease)]
    fn lapse_lease_js(database: &str, name: &str) -> Promise;
    #[wasm_bindgen(js_name = holdStore)]
    fn hold_store_js(database: &str, store: &str, ms: u32) -> Promise;
    #[wasm_bindgen(js_name = deleteDatabase)]
    fn delete_database_js(database: &str) -> Promise;
    #[wasm_bindgen(js_name = lockIsFree)]
    fn lock_is_free_js(name: &str) -> Promise;
    fn nudge(collect: bool) -> Promise;
    /// Every message on the channel `name` from now on, as JSON text.
    #[wasm_bindgen(js_name = sniffChannel)]
    pub fn sniff_channel(name: &str) -> js_sys::Array;
    #[wasm_bindgen(js_name = workerHolding)]
    fn worker_holding_js(name: &str) -> Promise;
    #[wasm_bindgen(js_name = refreshInWorker)]
    fn refresh_in_worker_js(world: &JsValue, database: &str, session: &str) -> Promise;
    #[wasm_bindgen(js_name = moduleWorker)]
    fn module_worker_js(body: &str) -> Promise;
}

#[wasm_bindgen(module = "/tests/web/helpers.js")]
extern "C" {
    /// Settles `promise`, or rejects with "still pending" after `ms`.
    pub fn within(promise: &Promise, ms: u32) -> Promise;
    #[wasm_bindgen(js_name = databaseNames)]
    fn database_names() -> Promise;
    /// `manager.refresh()` whose refresh handler calls `manager.refresh()`.
    #[wasm_bindgen(js_name = reentrantRefresh)]
    pub fn reentrant_refresh(manager: &JsValue, fresh: &JsValue) -> Promise;
    /// `manager.refresh()` whose refresh handler calls `manager.spinLock()`.
    #[wasm_bindgen(js_name = reentrantSpinLock)]
    pub fn reentrant_spin_lock(manager: &JsValue, fresh: &JsValue) -> Promise;
}

#[wasm_bindgen(module = "/tests/web/faults.js")]
extern "C" {
    /// Injects the platform fault of that name (see faults.js); returns the
    /// function that takes it out.
    pub fn inject(fault: &str) -> Function;
}

#[wasm_bindgen(module = "/tests/web/watches.js")]
extern "C" {
    /// `{ pending(), restore() }`: the timers armed from now on that have
    /// neither fired nor been cleared (see watches.js).
    #[wasm_bindgen(js_name = watchTimers)]
    pub fn watch_timers() -> JsValue;
    /// Resolves once the connection that the next open of `database` opens
    /// is closed (see watches.js).
    #[wasm_bindgen(js_name = closingOfNextOpen)]
    pub fn closing_of_next_open(database: &str) -> Promise;
}

/// The raw record of `session` in `database`, read by plain JavaScript.
pub async fn raw_record(database: &str, session: &str) -> JsValue {
    JsFuture::from(raw_value(database, "sessions", session))
        .await
        .unwrap()
}

/// The raw lease record of the lock `name` (undefined if none).
pub async fn raw_lease(database: &str, name: &str) -> JsValue {
    JsFuture::from(raw_value(database, "leases", name))
        .await
        .unwrap()
}

/// Writes `value` as the raw record of `session` (to simulate corruption).
pub async fn put_raw_record(database: &str, session: &str, value: &JsValue) {
    JsFuture::from(put_raw_value(database, "sessions", session, value))
        .await
        .unwrap();
}

/// Writes `value` as the raw lease record of the lock `name`.
pub async fn put_raw_lease(database: &str, name: &str, value: &JsValue) {
    JsFuture::from(put_raw_value(database, "leases", name, value))
        .await
        .unwrap();
}

/// Holds a readwrite transaction on the object store `store` for `ms`, from
/// plain JavaScript; returns once it runs, with a promise of its end.
pub async fn hold_store(database: &str, store: &str, ms: u32) -> Promise {
    let held = JsFuture::from(hold_store_js(database, store, ms))
        .await
        .unwrap();
    super::values::field(&held, "ended").unchecked_into()
}

/// Makes the lease of the lock `name` look lapsed, from plain JavaScript.
pub async fn lapse_lease(database: &str, name: &str) {
    JsFuture::from(lapse_lease_js(database, name))
        .await
        .unwrap();
}

/// Deletes `database` from plain JavaScript; resolves once deleted, rejects if blocked for 2 s.
pub async fn delete_database(database: &str) -> Result<(), JsValue> {
    JsFuture::from(delete_database_js(database)).await.map(drop)
}

/// Is there a database named `database` in this origin?
pub async fn database_exists(database: &str) -> bool {
    let names = JsFuture::from(database_names()).await.unwrap();
    js_sys::Array::from(&names)
        .iter()
        .any(|name| name.as_string().as_deref() == Some(database))
}

/// Is the Web Lock `name` free right now (probed without waiting)?
pub async fn lock_is_free(name: &str) -> bool {
    JsFuture::from(lock_is_free_js(name))
        .await
        .unwrap()
        .as_bool()
        .unwrap()
}

/// Waits up to `ms` for the Web Lock `name` to be free, nudging the garbage
/// collector in between (with `gc()` where the browser exposes it, else by
/// allocating).
pub async fn lock_freed_within(name: &str, ms: u32, collect_garbage: bool) -> bool {
    let start = js_sys::Date::now();
    while js_sys::Date::now() - start < f64::from(ms) {
        if lock_is_free(name).await {
            return true;
        }
        JsFuture::from(nudge(collect_garbage)).await.unwrap();
    }
    false
}

/// A dedicated worker that takes the Web Lock `name` and holds it until
/// terminated. Resolves once the worker holds the lock.
pub async fn worker_holding(name: &str) -> web_sys_worker::Worker {
    JsFuture::from(worker_holding_js(name))
        .await
        .unwrap()
        .unchecked_into()
}

pub mod web_sys_worker {
    use wasm_bindgen::prelude::*;
    #[wasm_bindgen]
    extern "C" {
        /// A dedicated `Worker`.
        pub type Worker;
        #[wasm_bindgen(method)]
        pub fn terminate(this: &Worker);
    }
}

/// A module worker that loads this test module (the library inside it),
/// opens a manager of `session` and runs `refresh()` with handlers that ask
/// the page's `world` over `postMessage`. Resolves with the worker's result:
/// `{ outcome, accessToken }` or `{ error }`.
pub async fn refresh_in_worker(session: &Session, world: &JsValue) -> Result<JsValue, JsValue> {
    JsFuture::from(refresh_in_worker_js(
        world,
        &session.database,
        &session.session,
    ))
    .await
}

/// A module worker that loads this test module and runs `body` (which may
/// use `CrossTabRefreshManager` and `postMessage`). Resolves with the worker
/// once it posts `"ready"`.
pub async fn module_worker(body: &str) -> web_sys_worker::Worker {
    JsFuture::from(module_worker_js(body))
        .await
        .unwrap_or_else(|e| panic!("worker: {}", describe(&e)))
        .unchecked_into()
}
