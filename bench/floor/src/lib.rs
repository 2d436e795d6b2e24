//! The floor of the package's size: `CrossTabRefreshManager` and
//! `RefreshLockGuard` with the library's names and signatures, each method
//! doing the least its contract asks of the named crates: `open()` opens the
//! database with the factory indexed_db_futures finds (the request in a line
//! of JavaScript, as the library's is), a method that takes tokens hashes
//! them with sha2, a write serializes the record with serde-wasm-bindgen,
//! failures are thiserror errors turned into JS `Error`s, and every async
//! method awaits one promise. No lock, no fencing, no options or token
//! checks beyond one field, no broadcast: none of the library's behaviour.
//! What the library weighs above this is its behaviour (BENCHMARKS.md).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

use indexed_db_futures::factory::DBFactory;
use indexed_db_futures::internals::SystemRepr;
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(inline_js = "export function openDatabase(f, n) { return new Promise((ok, no) => { const r = f.open(n); r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); }); }")]
extern "C" {
    #[wasm_bindgen(js_name = openDatabase)]
    fn open_database(factory: &web_sys::IdbFactory, name: &str) -> Promise;
}

#[path = "../../../src/heap/mod.rs"]
#[allow(dead_code, missing_docs, unused_imports)]
mod heap;

mod guard;
mod values;
pub use guard::RefreshLockGuard;
use values::{hash, hex, record, string};

/// Its message joined from parts, not formatted, as the library's are (no
/// `core::fmt` linked in).
#[derive(Debug, thiserror::Error)]
enum FloorError {
    Missing(&'static str),
    Store(JsValue),
}

impl FloorError {
    fn message(&self) -> String {
        match self {
            Self::Missing(what) => [*what, " is missing"].concat(),
            Self::Store(_) => "the store failed".to_owned(),
        }
    }
}

impl std::fmt::Display for FloorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

type Boxed = std::pin::Pin<Box<dyn Future<Output = Result<JsValue, FloorError>>>>;

fn promise(future: impl Future<Output = Result<JsValue, FloorError>> + 'static) -> Promise {
    boxed(Box::pin(future))
}

fn boxed(future: Boxed) -> Promise {
    wasm_bindgen_futures::future_to_promise(async move {
        future.await.map_err(|error| {
            let js = js_sys::Error::new(&error.message());
            js.set_name("StoreError");
            if let FloorError::Store(cause) = &error {
                let _ = js_sys::Reflect::set(&js, &"cause".into(), cause);
            }
            js.into()
        })
    })
}

async fn settle(value: JsValue) -> Result<JsValue, FloorError> {
    JsFuture::from(Promise::resolve(&value))
        .await
        .map_err(FloorError::Store)
}

struct Inner {
    database: web_sys::IdbDatabase,
    session: String,
    known: Cell<Option<[u8; 32]>>,
    closed: Cell<bool>,
}

/// The manager's exported surface.
#[wasm_bindgen]
pub struct CrossTabRefreshManager {
    inner: Rc<Inner>,
}

#[wasm_bindgen]
impl CrossTabRefreshManager {
    /// Opens the database.
    pub fn open(options: JsValue) -> Promise {
        promise(async move {
            let session = string(&options, "session")?;
            let factory = DBFactory::new().map_err(|_| FloorError::Store(JsValue::NULL))?;
            let database = JsFuture::from(open_database(factory.as_sys(), "floor"))
                .await
                .map_err(FloorError::Store)?
                .unchecked_into();
            Ok(CrossTabRefreshManager {
                inner: Rc::new(Inner {
                    database,
                    session,
                    known: Cell::new(None),
                    closed: Cell::new(false),
                }),
            }
            .into())
        })
    }

    /// The session.
    #[wasm_bindgen(getter)]
    pub fn session(&self) -> String {
        self.inner.session.clone()
    }

    /// The holder.
    #[wasm_bindgen(getter)]
    pub fn holder(&self) -> String {
        self.inner.database.name()
    }

    /// The lock kind.
    #[wasm_bindgen(getter, js_name = lockKind)]
    pub fn lock_kind(&self) -> String {
        "web-locks".to_owned()
    }

    /// The known hash.
    #[wasm_bindgen(getter, js_name = knownSessionHash)]
    pub fn known_session_hash(&self) -> JsValue {
        hex(self.inner.known.get())
    }

    /// Hashes the tokens.
    #[wasm_bindgen(js_name = restoreSession)]
    pub fn restore_session(&self, tokens: JsValue) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            inner.known.set(Some(hash(&tokens)?));
            settle(JsValue::UNDEFINED).await
        })
    }

    /// One awaited promise, then a guard.
    #[wasm_bindgen(js_name = spinLock)]
    pub fn spin_lock(&self, options: Option<JsValue>) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            settle(options.unwrap_or_default()).await?;
            Ok(RefreshLockGuard {
                inner: RefCell::new(Some(inner)),
                generation: 0,
            }
            .into())
        })
    }

    /// Writes a tombstone record.
    #[wasm_bindgen(js_name = onLogout)]
    pub fn on_logout(&self) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            inner.known.set(None);
            settle(record(None, 1)).await
        })
    }

    /// Marks the manager closed.
    pub fn close(&self) {
        self.inner.closed.set(true);
    }

    /// Calls `handlers.refresh()`, awaits it, hashes and writes.
    pub fn refresh(&self, handlers: JsValue) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let refresh: Function = Reflect::get(&handlers, &JsValue::from_str("refresh"))
                .map_err(FloorError::Store)?
                .unchecked_into();
            let tokens = settle(refresh.call0(&handlers).map_err(FloorError::Store)?).await?;
            inner.known.set(Some(hash(&tokens)?));
            settle(record(inner.known.get(), 1)).await?;
            let result = Object::new();
            let _ = Reflect::set(&result, &JsValue::from_str("tokens"), &tokens);
            Ok(result.into())
        })
    }

    /// Returns the function that unsubscribes.
    pub fn subscribe(&self, listener: JsValue) -> JsValue {
        Closure::<dyn FnMut()>::new(move || drop(listener.clone())).into_js_value()
    }

    /// One awaited promise.
    #[wasm_bindgen(js_name = storedState)]
    pub fn stored_state(&self) -> Promise {
        let known = self.inner.known.get();
        promise(async move { settle(hex(known)).await })
    }

    /// One awaited promise.
    #[wasm_bindgen(js_name = lockState)]
    pub fn lock_state(&self) -> Promise {
        let closed = self.inner.closed.get();
        promise(async move { settle(JsValue::from_bool(closed)).await })
    }
}
