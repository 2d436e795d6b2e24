//! Helpers shared by the browser tests: unique names, option objects,
//! awaiting exported promises, and raw IndexedDB / Web Locks access from JS.
#![allow(dead_code)]

use std::cell::Cell;

use cross_tab_refresh::api::{CrossTabRefreshManager, RefreshLockGuard};
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::convert::TryFromJsValue;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

thread_local! {
    static COUNTER: Cell<u32> = const { Cell::new(0) };
}

/// A name no other test in this page uses.
pub fn unique(prefix: &str) -> String {
    let n = COUNTER.with(|c| {
        c.set(c.get() + 1);
        c.get()
    });
    let salt = (js_sys::Math::random() * 1e9) as u64;
    format!("{prefix}-{n}-{salt}")
}

/// A plain object from key/value pairs.
pub fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in pairs {
        Reflect::set(&object, &JsValue::from_str(key), value).unwrap();
    }
    object.into()
}

/// `value[key]`.
pub fn field(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &s(key)).unwrap()
}

pub fn s(text: &str) -> JsValue {
    JsValue::from_str(text)
}

pub fn tokens(access: &str, refresh: Option<&str>) -> JsValue {
    match refresh {
        Some(refresh) => obj(&[("accessToken", s(access)), ("refreshToken", s(refresh))]),
        None => obj(&[("accessToken", s(access))]),
    }
}

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

pub fn describe(error: &JsValue) -> String {
    format!("{} — {}", error_name(error), message(error))
}

pub fn error_name(error: &JsValue) -> String {
    Reflect::get(error, &s("name"))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

pub fn message(error: &JsValue) -> String {
    Reflect::get(error, &s("message"))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// Asserts that `result` failed with a real `Error` named `name`.
#[track_caller]
pub fn assert_error<T>(result: Result<T, JsValue>, name: &str) -> JsValue {
    match result {
        Ok(_) => panic!("expected {name}, but the call succeeded"),
        Err(error) => {
            assert!(
                error.is_instance_of::<js_sys::Error>(),
                "not an Error: {error:?}"
            );
            assert_eq!(error_name(&error), name, "{}", message(&error));
            error
        }
    }
}

#[wasm_bindgen(module = "/tests/web/helpers.js")]
extern "C" {
    #[wasm_bindgen(js_name = rawValue)]
    fn raw_value(database: &str, store: &str, key: &str) -> Promise;
    #[wasm_bindgen(js_name = putRawValue)]
    fn put_raw_value(database: &str, store: &str, key: &str, value: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = lapseLease)]
    fn lapse_lease_js(database: &str, name: &str) -> Promise;
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
    #[wasm_bindgen(js_name = tokenWorld)]
    fn token_world_js(latency_ms: u32) -> JsValue;
    /// A fresh handlers object of one behaviour, by name (see helpers.js).
    #[wasm_bindgen(js_name = handlersNamed)]
    pub fn handlers_named(name: &str) -> JsValue;
    /// A new function that does nothing.
    #[wasm_bindgen(js_name = noopFunction)]
    pub fn noop() -> Function;
}

#[wasm_bindgen(module = "/tests/web/faults.js")]
extern "C" {
    /// Injects the platform fault of that name (see faults.js); returns the
    /// function that takes it out.
    pub fn inject(fault: &str) -> Function;
}

/// The raw record of `session` in `database`, read by plain JavaScript.
pub async fn raw_record(database: &str, session: &str) -> JsValue {
    JsFuture::from(raw_value(database, "sessions", session))
        .await
        .unwrap()
}

/// Writes `value` as the raw record of `session` (to simulate corruption).
pub async fn put_raw_record(database: &str, session: &str, value: &JsValue) {
    JsFuture::from(put_raw_value(database, "sessions", session, value))
        .await
        .unwrap();
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

pub async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| {
        cross_tab_refresh::web::global::set_timeout(&resolve, ms);
    });
    JsFuture::from(promise).await.unwrap();
}

/// A rotating token server and the app's shared token storage, in plain JS:
/// `{ issued, calls, invalidGrants, storage, handlers(), exchange() }`.
/// Each refresh token works once; the endpoint answers after `latencyMs`.
pub fn token_world(latency_ms: u32) -> JsValue {
    token_world_js(latency_ms)
}

#[wasm_bindgen(module = "/tests/web/helpers.js")]
extern "C" {
    /// `{ entered, open }`: the world's next endpoint call waits until `open()`.
    #[wasm_bindgen(js_name = armGate)]
    fn arm_gate_js(world: &JsValue) -> JsValue;
    /// `{ handlers, entered, open, app }` (see helpers.js).
    #[wasm_bindgen(js_name = gatedHandlers)]
    pub fn gated_handlers(late: &JsValue, app_tokens: &JsValue) -> JsValue;
}

/// A gate in the world's endpoint: `(entered, open)`; the next call waits
/// at it until `open` is called, and `entered` resolves when it arrives.
pub fn arm_gate(world: &JsValue) -> (Promise, Function) {
    let gate = arm_gate_js(world);
    let entered = Reflect::get(&gate, &s("entered")).unwrap().unchecked_into();
    let open = Reflect::get(&gate, &s("open")).unwrap().unchecked_into();
    (entered, open)
}

pub fn world_number(world: &JsValue, key: &str) -> u32 {
    Reflect::get(world, &s(key)).unwrap().as_f64().unwrap() as u32
}

pub fn handlers_of(world: &JsValue) -> JsValue {
    let handlers: Function = Reflect::get(world, &s("handlers"))
        .unwrap()
        .unchecked_into();
    handlers.call0(world).unwrap()
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

/// `manager.refresh(handlers)`, awaited.
pub async fn refresh(
    manager: &CrossTabRefreshManager,
    handlers: JsValue,
) -> Result<JsValue, JsValue> {
    JsFuture::from(manager.refresh(handlers)).await
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
