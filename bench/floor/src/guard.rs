//! The floor's `RefreshLockGuard` (see the crate's docs).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use crate::values::{hash, hex, record};
use crate::{FloorError, Inner, promise, settle};

/// The guard's exported surface.
#[wasm_bindgen]
pub struct RefreshLockGuard {
    pub(crate) inner: RefCell<Option<Rc<Inner>>>,
    pub(crate) generation: u64,
}

#[wasm_bindgen]
impl RefreshLockGuard {
    /// Always false.
    #[wasm_bindgen(getter, js_name = hashMismatch)]
    pub fn hash_mismatch(&self) -> bool {
        false
    }

    /// The known hash.
    #[wasm_bindgen(getter, js_name = dbHash)]
    pub fn db_hash(&self) -> JsValue {
        hex(self
            .inner
            .borrow()
            .as_ref()
            .and_then(|inner| inner.known.get()))
    }

    /// Whether released.
    #[wasm_bindgen(getter)]
    pub fn held(&self) -> bool {
        self.inner.borrow().is_some()
    }

    /// Hashes and writes.
    #[wasm_bindgen(js_name = saveInMemoryAndDb)]
    pub fn save_in_memory_and_db(&self, tokens: JsValue) -> Promise {
        let inner = self.inner.borrow().clone();
        let generation = self.generation + 1;
        promise(async move {
            let inner = inner.ok_or(FloorError::Missing("guard"))?;
            inner.known.set(Some(hash(&tokens)?));
            settle(record(inner.known.get(), generation)).await
        })
    }

    /// Hashes and writes.
    #[wasm_bindgen(js_name = handleMismatch)]
    pub fn handle_mismatch(&self, tokens: JsValue) -> Promise {
        self.save_in_memory_and_db(tokens)
    }

    /// Releases.
    pub fn release(&self) {
        self.inner.borrow_mut().take();
    }
}
