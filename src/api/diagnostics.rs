//! What a manager can tell without taking the lock: the stored record and
//! the lock's state, for diagnostics and display.

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;

use super::error::promise;
use super::manager::CrossTabRefreshManager;
use crate::web::ContextLock;
use crate::web::global::hash_or_null;

#[wasm_bindgen]
impl CrossTabRefreshManager {
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
            let _ = Reflect::set(
                &value,
                &"dbHash".into(),
                &hash_or_null(stored.hash.as_ref()),
            );
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
    /// client IDs, or the lease holder's name with a random suffix).
    #[wasm_bindgen(js_name = lockState, unchecked_return_type = "Promise<LockState>")]
    pub fn lock_state(&self) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            inner.check_open()?;
            // Each lock's own future, awaited here: no layer of `async` that
            // only passes one on.
            let state = match inner.core.lock() {
                ContextLock::WebLocks(lock) => lock.state().await?,
                ContextLock::Lease(lock) => lock.state().await?,
            };
            let value = Object::new();
            let set = |key: &str, v: JsValue| {
                let _ = Reflect::set(&value, &key.into(), &v);
            };
            set("kind", inner.lock_kind.clone());
            set("held", state.held.into());
            set("heldByThisManager", state.held_here.into());
            set(
                "waiting",
                state.waiting.map_or(JsValue::NULL, JsValue::from),
            );
            set("holders", state.holders.into());
            set(
                "expiresAt",
                state.expires_at.map_or(JsValue::NULL, JsValue::from),
            );
            Ok(JsValue::from(value))
        })
    }
}
