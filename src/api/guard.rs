//! `RefreshLockGuard`: proof that this context holds the session's lock.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::dispose::wire_dispose;
use super::error::promise;
use super::tokens::session_tokens;
use crate::core::{ErrorKind, RefreshError};
use crate::web::global::hash_or_null;
use crate::web::{BroadcastNotifier, ContextLockGuard, IdbHashStore};

type CoreGuard = crate::core::RefreshLockGuard<ContextLockGuard, IdbHashStore, BroadcastNotifier>;

/// Holds the session's lock until `release()` (or `[Symbol.dispose]`, or
/// garbage collection). Obtained from `CrossTabRefreshManager.spinLock()`.
#[wasm_bindgen]
pub struct RefreshLockGuard {
    guard: RefCell<Option<Rc<CoreGuard>>>,
    hash_mismatch: bool,
    db_hash: JsValue,
    manager_closed: Rc<Cell<bool>>,
}

impl RefreshLockGuard {
    pub(crate) fn into_js(guard: CoreGuard, manager_closed: Rc<Cell<bool>>) -> JsValue {
        let value = JsValue::from(Self {
            hash_mismatch: guard.hash_mismatch(),
            db_hash: hash_or_null(guard.db_hash().as_ref()),
            guard: RefCell::new(Some(Rc::new(guard))),
            manager_closed,
        });
        wire_dispose(&value, "release");
        value
    }

    fn holding(&self) -> Result<Rc<CoreGuard>, RefreshError> {
        if self.manager_closed.get() {
            return Err(ErrorKind::Closed.into());
        }
        self.guard
            .borrow()
            .clone()
            .ok_or_else(|| ErrorKind::GuardReleased.into())
    }
}

#[wasm_bindgen]
impl RefreshLockGuard {
    /// Whether another context refreshed: the store held a hash other than
    /// the one this context knows when the lock was taken.
    #[wasm_bindgen(getter, js_name = hashMismatch)]
    pub fn hash_mismatch(&self) -> bool {
        self.hash_mismatch
    }

    /// The stored hash (`0x…`) when the lock was taken, or `null`.
    #[wasm_bindgen(getter, js_name = dbHash, unchecked_return_type = "string | null")]
    pub fn db_hash(&self) -> JsValue {
        self.db_hash.clone()
    }

    /// `true` until `release()`: whether this guard has not let the lock go. It
    /// cannot tell that the lock was taken from it (a steal, a lapsed lease,
    /// `close()` giving the lease back); a write then rejects with
    /// `FencedError` if another context wrote meanwhile.
    #[wasm_bindgen(getter)]
    pub fn held(&self) -> bool {
        self.guard.borrow().is_some()
    }

    /// After a successful refresh: stores the new tokens' hash and remembers
    /// it. Rejects with `FencedError` (nothing written) if another context
    /// wrote since this guard read, `GuardReleasedError` after `release()`,
    /// `LoggedOutError` after a logout this context made or found since
    /// `spinLock()` was called, one this guard's read found, or one
    /// elsewhere followed by a new login since this context learned its
    /// tokens,
    /// `InvalidArgumentError` for bad tokens, `StoreError` or `ClosedError`.
    #[wasm_bindgen(js_name = saveInMemoryAndDb, unchecked_return_type = "Promise<void>")]
    pub fn save_in_memory_and_db(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SessionTokens")] tokens: JsValue,
    ) -> Promise {
        let held = self.holding();
        promise(async move {
            let guard = held?;
            guard
                .save_in_memory_and_db(&session_tokens(&tokens, "tokens")?)
                .await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// After a mismatch: remembers the trusted tokens' hash and, if the store
    /// holds a different one, overwrites it. With nothing stored, writes nothing.
    /// Rejects with `StaleTokensError` (nothing written) for the tokens this
    /// context already knew when another context has written the store since:
    /// your storage has not caught up; reload and call again. Otherwise
    /// rejects as `saveInMemoryAndDb` does (`FencedError` when it writes).
    #[wasm_bindgen(js_name = handleMismatch, unchecked_return_type = "Promise<void>")]
    pub fn handle_mismatch(
        &self,
        #[wasm_bindgen(js_name = trustedTokens, unchecked_param_type = "SessionTokens")]
        trusted_tokens: JsValue,
    ) -> Promise {
        let held = self.holding();
        promise(async move {
            let guard = held?;
            guard
                .handle_mismatch(&session_tokens(&trusted_tokens, "trustedTokens")?)
                .await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Releases the lock. Idempotent. A write still in flight completes
    /// first; the lock is freed when it settles.
    pub fn release(&self) {
        self.guard.borrow_mut().take();
    }
}
