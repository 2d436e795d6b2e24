//! The Web Locks API, bound by hand so that no consumer needs
//! `web_sys_unstable_apis`, and held across async Rust until the guard drops.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Function, JsString, Object, Promise};
use wasm_bindgen::prelude::*;

use super::global::{describe, js_cause};
use super::read_ahead::ReadAhead;
use super::task::Settled;
use super::wait::{LockOptions, give_up, sleep, wait_kind};
use crate::core::text::join;
use crate::core::{CrossContextLock, ErrorKind, RefreshError, WaitKind};

#[wasm_bindgen]
extern "C" {
    /// `navigator.locks`.
    #[wasm_bindgen(extends = Object)]
    #[derive(Clone, Debug)]
    pub type LockManager;
}

#[wasm_bindgen(module = "/src/web/browser.js")]
extern "C" {
    /// One request: `{ granted, abandon, read }` (see `browser.js`).
    type LockRequest;

    /// `how`: 0 queues (until abandoned), 1 only if available, 2 steals.
    #[wasm_bindgen(js_name = requestLock)]
    fn request_lock(
        locks: &LockManager,
        name: &JsString,
        how: u8,
        database: Option<&JsValue>,
        store: Option<&JsString>,
        key: Option<&JsString>,
    ) -> LockRequest;

    #[wasm_bindgen(method, getter)]
    fn granted(this: &LockRequest) -> Promise;

    #[wasm_bindgen(method)]
    fn abandon(this: &LockRequest);

    /// The read the grant started, if any.
    #[wasm_bindgen(method)]
    fn read(this: &LockRequest) -> Option<Promise>;

    /// `navigator.locks`, if this context has one that can request a lock.
    #[wasm_bindgen(js_name = lockManager)]
    pub fn lock_manager() -> Option<LockManager>;

    /// `[held, waiting, holders]` of one lock name (see `browser.js`).
    #[wasm_bindgen(js_name = queryLock, catch)]
    fn query_lock(locks: &LockManager, name: &JsString) -> Result<Promise, JsValue>;
}

/// One named exclusive Web Lock.
pub struct WebLocks {
    manager: LockManager,
    name: String,
    /// The name as a JS string, converted once (every request passes it).
    js_name: JsString,
    held_here: Rc<Cell<u32>>,
    /// The session record, read as soon as the lock is granted.
    read_ahead: Option<ReadAhead>,
}

impl WebLocks {
    /// The lock `name` of `manager`.
    pub fn new(manager: LockManager, name: String) -> Self {
        Self {
            manager,
            js_name: JsString::from(name.as_str()),
            name,
            held_here: Rc::default(),
            read_ahead: None,
        }
    }

    /// Starts reading the record of `ahead` in the grant's own callback,
    /// for the first read of `spin_lock` (`HashStore::load_at_grant`).
    pub(crate) fn reading_ahead(mut self, ahead: ReadAhead) -> Self {
        self.read_ahead = Some(ahead);
        self
    }

    /// The lock's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Holds a Web Lock: the lock's callback promise settles when this drops.
pub struct WebLockGuard {
    release: Function,
    held_here: Rc<Cell<u32>>,
    /// The read the grant started: dropped with this guard.
    ahead: Option<ReadAhead>,
}

impl Drop for WebLockGuard {
    fn drop(&mut self) {
        if let Some(ahead) = &self.ahead {
            ahead.take();
        }
        self.held_here.set(self.held_here.get().saturating_sub(1));
        // Resolving the promise returned to `request` releases the lock; a
        // resolve function never throws.
        let _ = self.release.call0(&JsValue::UNDEFINED);
    }
}

/// A request in flight. Dropped before it settles (the waiter went away:
/// a timeout, an abort, `close()`, a dropped Rust future), it leaves the
/// queue and frees a lock granted meanwhile.
struct InFlight {
    request: LockRequest,
    settled: bool,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if !self.settled {
            self.request.abandon();
        }
    }
}

fn lock_unusable(value: JsValue) -> RefreshError {
    ErrorKind::NotSupported {
        message: join(&["navigator.locks.request failed: ", &describe(&value)]),
        cause: js_cause(value),
    }
    .into()
}

impl CrossContextLock for WebLocks {
    type Guard = WebLockGuard;
    type Options = LockOptions;

    fn wait_kind(options: &LockOptions) -> WaitKind {
        wait_kind(options)
    }

    fn give_up(&self, options: &LockOptions) -> impl Future<Output = RefreshError> {
        give_up(options)
    }

    fn pause(&self, ms: u32) -> impl Future<Output = ()> {
        sleep(ms)
    }

    /// One `navigator.locks.request`. The core bounds the wait (timeout,
    /// signal, `close()`) by dropping this future.
    async fn acquire(&self, options: LockOptions) -> Result<WebLockGuard, RefreshError> {
        let how = match wait_kind(&options) {
            WaitKind::Queue => 0,
            WaitKind::IfFree => 1,
            WaitKind::Steal => 2,
        };
        let request = self.request(how);
        let granted = Settled::new(&request.granted());
        let mut in_flight = InFlight {
            request,
            settled: false,
        };
        let outcome = granted.await;
        in_flight.settled = true;
        match outcome {
            Ok(release) if release.is_null() => {
                Err(ErrorKind::LockTimeout { timeout_ms: 0 }.into())
            }
            Ok(release) => {
                if let Some(ahead) = &self.read_ahead {
                    // `spin_lock` reads next, in this same poll: nothing
                    // else can take this read first (a lock taken directly
                    // leaves it to no other read).
                    ahead.started(in_flight.request.read());
                }
                self.held_here.set(self.held_here.get() + 1);
                Ok(WebLockGuard {
                    release: release.unchecked_into(),
                    held_here: self.held_here.clone(),
                    ahead: self.read_ahead.clone(),
                })
            }
            Err(error) => Err(lock_unusable(error)),
        }
    }
}

impl WebLocks {
    /// Asks for the lock (`how` as `requestLock` takes it), with the read
    /// ahead of the session record if there is one and its database is open.
    #[inline(never)]
    fn request(&self, how: u8) -> LockRequest {
        let target = self.read_ahead.as_ref().and_then(ReadAhead::target);
        let (database, store, key) = match &target {
            Some((database, store, key)) => (Some(database), Some(*store), Some(*key)),
            None => (None, None, None),
        };
        request_lock(&self.manager, &self.js_name, how, database, store, key)
    }

    /// What `navigator.locks.query()` tells of this lock.
    pub async fn state(&self) -> Result<super::LockState, RefreshError> {
        let promise = query_lock(&self.manager, &self.js_name).map_err(lock_unusable)?;
        let found: js_sys::Array = Settled::new(&promise)
            .await
            .map_err(lock_unusable)?
            .unchecked_into();
        let count = |index| found.get(index).as_f64().unwrap_or(0.0) as u32;
        Ok(super::LockState {
            held: count(0) > 0,
            held_here: self.held_here.get() > 0,
            waiting: Some(count(1)),
            // browser.js's own array of client IDs (strings).
            holders: found.get(2).unchecked_into(),
            expires_at: None,
        })
    }
}
