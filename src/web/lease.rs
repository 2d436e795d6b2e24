//! The lease lock, for contexts without Web Locks (Safari before 15.4,
//! insecure contexts, some webviews), in the manner of matrix-sdk-common's
//! `CrossProcessLock`: a lease record in IndexedDB naming its holder and an
//! expiry, renewed while held, polled with a bounded backoff while waiting.
//!
//! Lease length: background tabs run timers at most once a second, and once a
//! minute after five minutes hidden. The lock is held only around a refresh
//! (a network round trip), so the default lease of 20 s, renewed every third
//! of it, outlasts any refresh in a visible or briefly hidden tab. A holder
//! frozen longer (a tab hidden for minutes, a suspended laptop, a clock jump)
//! loses the lease; that is harmless because every write is fenced: its late
//! write fails with `FencedError`. A dead holder's lease frees itself when it
//! expires.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::global::{clear_interval, js_cause, set_interval, set_timeout};
use super::locks::LockOptions;
use super::store::{IdbHashStore, LeaseOp};
use crate::core::{CrossContextLock, RefreshError};

/// Default lease length.
pub const DEFAULT_LEASE_MS: u32 = 20_000;
/// First wait between two attempts to take a held lease.
const FIRST_BACKOFF_MS: u32 = 10;
/// Longest wait between two attempts (also bounds how late an abort is noticed).
const MAX_BACKOFF_MS: u32 = 250;

/// A lock held as a lease in IndexedDB.
pub struct LeaseLock {
    store: IdbHashStore,
    name: String,
    holder: String,
    lease_ms: u32,
    held_here: Rc<Cell<u32>>,
}

impl LeaseLock {
    /// The lease `name` in `store`'s database, held as `holder` (unique per
    /// manager) for `lease_ms` at a time.
    pub fn new(store: IdbHashStore, name: String, holder: String, lease_ms: u32) -> Self {
        Self {
            store,
            name,
            holder,
            lease_ms,
            held_here: Rc::default(),
        }
    }
}

/// Holds a lease; renews it until dropped, then gives it back.
pub struct LeaseGuard {
    store: IdbHashStore,
    name: String,
    holder: String,
    renewal: JsValue,
    _renew: Closure<dyn FnMut()>,
    held_here: Rc<Cell<u32>>,
}

impl Drop for LeaseGuard {
    fn drop(&mut self) {
        self.held_here.set(self.held_here.get().saturating_sub(1));
        clear_interval(&self.renewal);
        let (store, name, holder) = (self.store.clone(), self.name.clone(), self.holder.clone());
        wasm_bindgen_futures::spawn_local(async move {
            // Best effort: if this fails, the lease simply expires.
            let _ = store.release_lease(&name, &holder).await;
        });
    }
}

async fn sleep(ms: u32) {
    let promise = Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, i32::try_from(ms).unwrap_or(i32::MAX));
    });
    let _ = JsFuture::from(promise).await;
}

/// `future`'s output, or `None` if `ms` pass first (the future is dropped).
async fn within<F: std::future::Future>(future: F, ms: u32) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    let mut deadline = std::pin::pin!(sleep(ms));
    std::future::poll_fn(|cx| {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(cx) {
            return std::task::Poll::Ready(Some(output));
        }
        deadline.as_mut().poll(cx).map(|()| None)
    })
    .await
}

impl CrossContextLock for LeaseLock {
    type Guard = LeaseGuard;
    type Options = LockOptions;

    async fn acquire(&self, options: LockOptions) -> Result<LeaseGuard, RefreshError> {
        let started = js_sys::Date::now();
        let mut backoff = FIRST_BACKOFF_MS;
        loop {
            if let Some(signal) = &options.signal
                && signal.aborted()
            {
                return Err(RefreshError::Aborted {
                    cause: js_cause(signal.reason()),
                });
            }
            let op = LeaseOp::Take {
                steal: options.steal,
            };
            let now = js_sys::Date::now();
            let timed_out = || RefreshError::LockTimeout {
                timeout_ms: options.timeout_ms,
            };
            let left = f64::from(options.timeout_ms) - (now - started);
            // Even a store that never answers (a database wedged by another
            // context) cannot hold the caller past its timeout.
            let attempt = self
                .store
                .lease(&self.name, &self.holder, op, now, self.lease_ms);
            match within(attempt, left.max(1.0).ceil() as u32).await {
                Some(Ok(true)) => return Ok(self.renewing_guard()),
                Some(Ok(false)) => {}
                Some(Err(error)) => return Err(error),
                None => return Err(timed_out()),
            }
            let left = f64::from(options.timeout_ms) - (js_sys::Date::now() - started);
            if left <= 0.0 {
                return Err(timed_out());
            }
            sleep(backoff.min(left.ceil() as u32)).await;
            backoff = (backoff * 2).min(MAX_BACKOFF_MS);
        }
    }
}

impl LeaseLock {
    /// The lease record, read now. Waiters are not recorded: `waiting` is `None`.
    pub async fn state(&self) -> Result<super::LockState, RefreshError> {
        let now = js_sys::Date::now();
        let lease = self.store.lease_record(&self.name).await?;
        let live = lease.as_ref().filter(|(_, expires_at)| *expires_at > now);
        Ok(super::LockState {
            held: live.is_some(),
            held_here: self.held_here.get() > 0 && live.is_some_and(|(h, _)| *h == self.holder),
            waiting: None,
            holders: live.map(|(h, _)| vec![h.clone()]).unwrap_or_default(),
            expires_at: live.map(|(_, t)| *t),
        })
    }

    fn renewing_guard(&self) -> LeaseGuard {
        let lost = Rc::new(Cell::new(false));
        let renew = {
            let (store, name, holder, lease_ms) = (
                self.store.clone(),
                self.name.clone(),
                self.holder.clone(),
                self.lease_ms,
            );
            Closure::<dyn FnMut()>::new(move || {
                if lost.get() {
                    return;
                }
                let (store, name, holder, lost) =
                    (store.clone(), name.clone(), holder.clone(), lost.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    let now = js_sys::Date::now();
                    // Lost (taken by another after a lapse) or failed: stop
                    // renewing; fencing keeps a late write harmless.
                    if !matches!(
                        store
                            .lease(&name, &holder, LeaseOp::Renew, now, lease_ms)
                            .await,
                        Ok(true)
                    ) {
                        lost.set(true);
                    }
                });
            })
        };
        let every = i32::try_from((self.lease_ms / 3).max(1)).unwrap_or(i32::MAX);
        let renewal = set_interval(renew.as_ref().unchecked_ref(), every);
        self.held_here.set(self.held_here.get() + 1);
        LeaseGuard {
            store: self.store.clone(),
            name: self.name.clone(),
            holder: self.holder.clone(),
            renewal,
            _renew: renew,
            held_here: self.held_here.clone(),
        }
    }
}
