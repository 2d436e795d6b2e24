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

fn js_async(args: &str, body: &str) -> Function {
    Function::new_with_args(args, &format!("return (async () => {{ {body} }})();"))
}

async fn call(function: &Function, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let array: js_sys::Array = args.iter().collect();
    let promise: Promise = function.apply(&JsValue::NULL, &array)?.unchecked_into();
    JsFuture::from(promise).await
}

const OPEN_DB: &str = "const conn = await new Promise((res, rej) => { const r = indexedDB.open(db); r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });";

/// The raw record of `session` in `database`, read by plain JavaScript.
pub async fn raw_record(database: &str, session: &str) -> JsValue {
    let f = js_async(
        "db, key",
        &format!(
            "{OPEN_DB} try {{ const tx = conn.transaction('sessions'); return await new Promise((res, rej) => {{ const g = tx.objectStore('sessions').get(key); g.onsuccess = () => res(g.result); g.onerror = () => rej(g.error); }}); }} finally {{ conn.close(); }}"
        ),
    );
    call(&f, &[s(database), s(session)]).await.unwrap()
}

/// Writes `value` as the raw record of `session` (to simulate corruption).
pub async fn put_raw_record(database: &str, session: &str, value: &JsValue) {
    let f = js_async(
        "db, key, value",
        &format!(
            "{OPEN_DB} try {{ const tx = conn.transaction('sessions', 'readwrite'); tx.objectStore('sessions').put(value, key); await new Promise((res, rej) => {{ tx.oncomplete = res; tx.onerror = () => rej(tx.error); }}); }} finally {{ conn.close(); }}"
        ),
    );
    call(&f, &[s(database), s(session), value.clone()])
        .await
        .unwrap();
}

/// Deletes `database` from plain JavaScript; resolves once deleted, rejects if blocked for 2 s.
pub async fn delete_database(database: &str) -> Result<(), JsValue> {
    let f = js_async(
        "db",
        "await new Promise((res, rej) => { const r = indexedDB.deleteDatabase(db); r.onsuccess = res; r.onerror = () => rej(r.error); r.onblocked = () => setTimeout(() => rej(new Error('blocked')), 2000); });",
    );
    call(&f, &[s(database)]).await.map(drop)
}

/// Is the Web Lock `name` free right now (probed without waiting)?
pub async fn lock_is_free(name: &str) -> bool {
    let f = js_async(
        "name",
        "return await navigator.locks.request(name, { ifAvailable: true }, (lock) => lock !== null);",
    );
    call(&f, &[s(name)]).await.unwrap().as_bool().unwrap()
}

/// Waits up to `ms` for the Web Lock `name` to be free, nudging the garbage
/// collector in between (with `gc()` where the browser exposes it, else by
/// allocating).
pub async fn lock_freed_within(name: &str, ms: u32, collect_garbage: bool) -> bool {
    let nudge = js_async(
        "collect",
        "if (collect) { if (typeof gc === 'function') { gc(); } else { let junk = []; for (let i = 0; i < 200; i++) junk.push(new Array(50000).fill(i)); junk = null; } } await new Promise((r) => setTimeout(r, 20));",
    );
    let start = js_sys::Date::now();
    while js_sys::Date::now() - start < f64::from(ms) {
        if lock_is_free(name).await {
            return true;
        }
        call(&nudge, &[JsValue::from_bool(collect_garbage)])
            .await
            .unwrap();
    }
    false
}

/// A dedicated worker that takes the Web Lock `name` and holds it until
/// terminated. Resolves once the worker holds the lock.
pub async fn worker_holding(name: &str) -> web_sys_worker::Worker {
    let f = js_async(
        "name",
        "const src = `navigator.locks.request(${JSON.stringify(name)}, () => { postMessage('held'); return new Promise(() => {}); });`; const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' }))); await new Promise((res, rej) => { w.onmessage = res; w.onerror = (e) => rej(new Error('worker failed: ' + e.message)); }); return w;",
    );
    call(&f, &[s(name)]).await.unwrap().unchecked_into()
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
    Function::new_with_args(
        "latencyMs",
        "const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
         const world = { issued: 0, calls: 0, invalidGrants: 0, broadcasts: [],
           storage: { accessToken: 'secret-access-0', refreshToken: 'secret-refresh-0' } };
         world.gates = [];
         world.exchange = async (refreshToken) => {
           world.calls++;
           const gate = world.gates.shift();
           if (gate) { gate.enter(); await gate.gate; }
           await sleep(latencyMs);
           if (refreshToken !== 'secret-refresh-' + world.issued) { world.invalidGrants++; throw new Error('invalid_grant'); }
           world.issued++;
           return { accessToken: 'secret-access-' + world.issued, refreshToken: 'secret-refresh-' + world.issued, expiresIn: 300 };
         };
         world.handlers = () => ({
           refresh: () => world.exchange(world.storage.refreshToken),
           reload: async () => ({ ...world.storage }),
           save: async (tokens) => { world.storage = { ...tokens }; },
         });
         world.serve = (worker) => { worker.addEventListener('message', async (e) => {
           const { id, call, arg } = e.data || {};
           if (!call) return;
           try { const h = world.handlers(); const value = await h[call](arg); worker.postMessage({ id, value }); }
           catch (error) { worker.postMessage({ id, error: String(error && error.message) }); }
         }); };
         return world;",
    )
    .call1(&JsValue::NULL, &JsValue::from(latency_ms))
    .unwrap()
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
    let f = js_async(
        "world, db, session",
        "const moduleUrl = new URL('wasm-bindgen-test', location.href).href;
         const wasmUrl = new URL('wasm-bindgen-test_bg.wasm', location.href).href;
         const src = `
           import init, { CrossTabRefreshManager } from ${JSON.stringify(moduleUrl)};
           let next = 0; const pending = new Map();
           self.onmessage = (e) => { const p = pending.get(e.data.id); if (p) { pending.delete(e.data.id); e.data.error ? p.reject(new Error(e.data.error)) : p.resolve(e.data.value); } };
           const ask = (call, arg) => new Promise((resolve, reject) => { const id = next++; pending.set(id, { resolve, reject }); postMessage({ id, call, arg }); });
           try {
             await init({ module_or_path: ${JSON.stringify(wasmUrl)} });
             const m = await CrossTabRefreshManager.open({ session: ${JSON.stringify(session)}, databaseName: ${JSON.stringify(db)} });
             await m.restoreSession({ accessToken: 'secret-access-0', refreshToken: 'secret-refresh-0' });
             const r = await m.refresh({ refresh: () => ask('refresh'), reload: () => ask('reload'), save: (t) => ask('save', t) });
             postMessage({ done: { outcome: r.outcome, accessToken: r.tokens.accessToken, scope: self.constructor.name } });
           } catch (error) { postMessage({ done: { error: String(error && (error.name + ': ' + error.message)) } }); }
         `;
         const worker = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })), { type: 'module' });
         world.serve(worker);
         try {
           return await new Promise((resolve, reject) => {
             worker.addEventListener('message', (e) => { if (e.data && e.data.done) resolve(e.data.done); });
             worker.onerror = (e) => reject(new Error('worker failed: ' + (e.message || 'unknown')));
           });
         } finally { worker.terminate(); }",
    );
    call(
        &f,
        &[world.clone(), s(&session.database), s(&session.session)],
    )
    .await
}

/// A module worker that loads this test module and runs `body` (which may
/// use `CrossTabRefreshManager` and `postMessage`). Resolves with the worker
/// once it posts `"ready"`.
pub async fn module_worker(body: &str) -> web_sys_worker::Worker {
    let f = js_async(
        "body",
        "const moduleUrl = new URL('wasm-bindgen-test', location.href).href;
         const wasmUrl = new URL('wasm-bindgen-test_bg.wasm', location.href).href;
         const src = `import init, { CrossTabRefreshManager } from ${JSON.stringify(moduleUrl)};
           await init({ module_or_path: ${JSON.stringify(wasmUrl)} });
           try { ${body} } catch (error) { postMessage('failed: ' + error.name + ': ' + error.message); }`;
         const worker = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })), { type: 'module' });
         await new Promise((resolve, reject) => {
           worker.onmessage = (e) => e.data === 'ready' ? resolve() : reject(new Error(String(e.data)));
           worker.onerror = (e) => reject(new Error('worker failed: ' + e.message));
           setTimeout(() => reject(new Error('the worker did not get ready within 30 s')), 30000);
         });
         return worker;",
    );
    call(&f, &[s(body)])
        .await
        .unwrap_or_else(|e| panic!("worker: {}", describe(&e)))
        .unchecked_into()
}
