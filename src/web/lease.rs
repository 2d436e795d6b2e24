//! The lease lock, for contexts without Web Locks (Safari before 15.4,
//! insecure contexts, some webviews), in the manner of matrix-sdk-common's
//! `CrossProcessLock`: a lease record in IndexedDB naming its holder, the
//! acquisition that took it and an expiry, renewed while held, polled with a
//! bounded backoff while waiting. The decisions are the core's
//! ([`crate::core::lease`]); every acquisition has its own token, so a
//! release or renewal only ever touches the lease it took.
//!
//! Lease length: background tabs run timers at most once a second, and once a
//! minute after five minutes hidden. The lock is held only around a refresh
//! (a network round trip), so the default lease of 20 s, renewed every third
//! of it, outlasts any refresh in a visible or briefly hidden tab. A holder
//! frozen longer (a tab hidden for minutes, a suspended laptop, a clock jump)
//! loses the lease. For the store that is harmless: its late write is fenced
//! (`FencedError`). For the network it is not: the next holder may send the
//! same refresh token while the frozen one's request is still out, and a
//! server with reuse detection then revokes the grant. Keep refresh calls
//! well under `leaseMs`. A dead holder's lease frees itself when it expires.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::JsValue;

use super::global::clear_interval;
use super::lease_held::{LeaseGuard, Shared};
use super::lease_record::{LeaseRecord, lease_of};
use super::session::random_name;
use super::wait::{LockOptions, give_up, sleep, wait_kind};
use crate::core::lease::{LeaseOp, is_live};
use crate::core::text::{decimal, join};
use crate::core::{CrossContextLock, ErrorKind, RefreshError, WaitKind};

/// First wait between two attempts to take a held lease.
const FIRST_BACKOFF_MS: u32 = 10;
/// Longest wait between two attempts.
const MAX_BACKOFF_MS: u32 = 250;

/// A lock held as a lease in IndexedDB.
pub struct LeaseLock {
    shared: Rc<Shared>,
}

impl LeaseLock {
    /// The lease of `record`, held as `holder` (this context's name) with a
    /// random suffix, for `lease_ms` at a time. The suffix tells two locks
    /// of one name apart, and so the tokens of their acquisitions.
    pub fn new(record: LeaseRecord, holder: &str, lease_ms: u32) -> Self {
        Self {
            shared: Rc::new(Shared {
                record,
                holder: random_name(holder),
                lease_ms,
                next_token: Cell::new(0),
                held: RefCell::default(),
                attempting: RefCell::default(),
            }),
        }
    }

    /// Stops renewing, gives back every lease this lock holds or an attempt
    /// in flight may take (their transactions all start now, on the open
    /// connection), then closes the connection; nothing reopens it.
    /// IndexedDB lets the transactions started before the close finish.
    pub fn close(&self) {
        // First, so that no give-back opens the database again: each runs
        // on the connection if it is open, and fails as closed if not.
        self.shared.record.connection().refuse_opens();
        for token in self.shared.attempting.take() {
            self.shared.release(token);
        }
        for held in self.shared.held.take() {
            clear_interval(&held.renewal);
            self.shared.release(held.token);
        }
        self.shared.record.connection().close();
    }

    /// The lease record, read now. Waiters are not recorded: `waiting` is `None`.
    pub async fn state(&self) -> Result<super::LockState, RefreshError> {
        let now = js_sys::Date::now();
        let database = self.shared.record.connection().database().await?;
        let value = self.shared.record.read(&database).await?;
        let lease = value.as_ref().and_then(lease_of);
        let mut state = super::LockState {
            held: false,
            held_here: false,
            waiting: None,
            holders: js_sys::Array::new(),
            expires_at: None,
        };
        if let Some(lease) = lease
            && is_live(Some(&lease), now)
        {
            state.held = true;
            state.held_here = self
                .shared
                .held
                .borrow()
                .iter()
                .any(|h| h.token == lease.token);
            state.holders.push(&JsValue::from_str(&lease.holder));
            state.expires_at = Some(lease.expires_at_ms);
        }
        Ok(state)
    }

    /// The token of a new acquisition: this lock's holder name, which ends
    /// in a random number of its own ([`LeaseLock::new`]), and the count of
    /// acquisitions of this lock.
    fn new_token(&self) -> String {
        let n = self.shared.next_token.get().wrapping_add(1);
        self.shared.next_token.set(n);
        join(&[&self.shared.holder, "#", &decimal(n.into())])
    }
}

/// An acquisition in progress, listed for `close()`, which gives back a
/// lease its attempt in flight may take. Dropped before it holds (a
/// timeout, an abort, a dropped Rust future), it gives that lease back
/// itself, unless `close()` took it over.
struct Attempting<'a> {
    lock: &'a LeaseLock,
    token: String,
    /// It holds the lease, or its last attempt did not take it.
    settled: bool,
}

impl<'a> Attempting<'a> {
    fn new(lock: &'a LeaseLock) -> Self {
        let token = lock.new_token();
        lock.shared.attempting.borrow_mut().push(token.clone());
        Self {
            lock,
            token,
            settled: false,
        }
    }
}

impl Drop for Attempting<'_> {
    fn drop(&mut self) {
        let shared = &self.lock.shared;
        let mut attempting = shared.attempting.borrow_mut();
        // Not listed any more if close() took the list: it gives the lease back.
        let Some(index) = attempting.iter().position(|t| *t == self.token) else {
            return;
        };
        attempting.swap_remove(index);
        drop(attempting);
        if !self.settled {
            shared.release(std::mem::take(&mut self.token));
        }
    }
}

impl CrossContextLock for LeaseLock {
    type Guard = LeaseGuard;
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

    /// Takes the lease, polling with a bounded backoff while another holds
    /// it. The core bounds the wait (timeout, signal, `close()`) by dropping
    /// this future; `timeoutMs: 0` makes one attempt.
    async fn acquire(&self, options: LockOptions) -> Result<LeaseGuard, RefreshError> {
        let mut attempt = Attempting::new(self);
        let token = attempt.token.clone();
        let mut backoff = FIRST_BACKOFF_MS;
        loop {
            let take = LeaseOp::Take {
                steal: options.steal,
            };
            attempt.settled = false;
            let taken = self.shared.apply(&token, take).await?;
            attempt.settled = true;
            if taken {
                if !self.shared.attempting.borrow().contains(&token) {
                    // close() came meanwhile and gives this lease back.
                    return Err(ErrorKind::Closed.into());
                }
                return Ok(self.shared.hold(token));
            }
            if wait_kind(&options) == WaitKind::IfFree {
                return Err(ErrorKind::LockTimeout { timeout_ms: 0 }.into());
            }
            sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF_MS);
        }
    }
}
