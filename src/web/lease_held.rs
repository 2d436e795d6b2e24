//! The leases a lease lock holds: each acquisition's token and renewal
//! timer, renewed every third of the lease while its guard lives, given back
//! when it drops.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::prelude::*;

use super::global::{clear_interval, set_interval, spawn_now};
use super::lease_record::{Acquirer, LeaseRecord};
use super::task::spawn;
use crate::core::RefreshError;
use crate::core::lease::LeaseOp;

/// An acquisition that holds the lease: its token and renewal timer.
pub(super) struct Held {
    pub(super) token: String,
    pub(super) renewal: JsValue,
    _renew: Closure<dyn FnMut()>,
}

/// What a lease lock and its guards share.
pub(super) struct Shared {
    pub(super) record: LeaseRecord,
    pub(super) holder: String,
    pub(super) lease_ms: u32,
    pub(super) next_token: Cell<u32>,
    pub(super) held: RefCell<Vec<Held>>,
    /// The tokens of acquisitions still trying to take the lease: a
    /// transaction of theirs in flight may take it yet.
    pub(super) attempting: RefCell<Vec<String>>,
}

impl Shared {
    /// Applies `op` to the lease for the acquisition `token`.
    pub(super) fn apply<'a>(
        &'a self,
        token: &'a str,
        op: LeaseOp,
    ) -> impl Future<Output = Result<bool, RefreshError>> + 'a {
        self.record.apply(self.acquirer(token), op, self.lease_ms)
    }

    pub(super) fn acquirer<'a>(&'a self, token: &'a str) -> Acquirer<'a> {
        Acquirer {
            holder: &self.holder,
            token,
        }
    }

    /// Gives the lease of `token` back, if it holds it (best effort: if
    /// this fails, the lease lapses).
    pub(super) fn release(self: &Rc<Self>, token: String) {
        if let Some(held) = self.forget(&token) {
            clear_interval(&held.renewal);
        }
        // Started now: an attempt to take the lease made right after this
        // (its transaction started later) finds it given back.
        let shared = self.clone();
        spawn_now(async move {
            let _ = shared.apply(&token, LeaseOp::Release).await;
        });
    }

    pub(super) fn forget(&self, token: &str) -> Option<Held> {
        let mut held = self.held.borrow_mut();
        let index = held.iter().position(|h| h.token == token)?;
        Some(held.remove(index))
    }

    /// Holds the lease `token` took: renews it every third of the lease
    /// until the guard drops, then gives it back.
    pub(super) fn hold(self: &Rc<Self>, token: String) -> LeaseGuard {
        let renew = {
            let (shared, token) = (Rc::downgrade(self), token.clone());
            Closure::<dyn FnMut()>::new(move || {
                let (Some(shared), token) = (shared.upgrade(), token.clone()) else {
                    return;
                };
                spawn(Box::pin(async move {
                    let renewed = shared.apply(&token, LeaseOp::Renew).await;
                    // Lost (taken by another after a lapse): stop renewing;
                    // the fence keeps a late write harmless. A failure of
                    // the store is tried again at the next renewal, so
                    // that one failed write does not let the lease lapse.
                    if matches!(renewed, Ok(false))
                        && let Some(held) = shared.forget(&token)
                    {
                        clear_interval(&held.renewal);
                    }
                }));
            })
        };
        let every = i32::try_from((self.lease_ms / 3).max(1)).unwrap_or(i32::MAX);
        let renewal = set_interval(renew.as_ref().unchecked_ref(), every);
        self.held.borrow_mut().push(Held {
            token: token.clone(),
            renewal,
            _renew: renew,
        });
        LeaseGuard {
            shared: self.clone(),
            token: Some(token),
        }
    }
}

/// Holds a lease; renews it until dropped, then gives it back.
pub struct LeaseGuard {
    shared: Rc<Shared>,
    token: Option<String>,
}

impl Drop for LeaseGuard {
    fn drop(&mut self) {
        if let Some(token) = self.token.take() {
            self.shared.release(token);
        }
    }
}
