//! One run of a scenario under a chooser: what a scenario is, the steps the
//! chooser picks from, and what the run's tasks share. The parts:
//!
//! - `handlers.rs`: the app's handlers each task runs with, and its ops;
//! - `schedule.rs`: the run itself: build the world, then step by step let
//!   the chooser pick which context to poll or which fault to inject,
//!   checking the invariants after every step;
//! - `checks.rs`: the invariants checked once a run has ended.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use cross_tab_refresh::core::{RefreshManager, SessionTokens};

use super::world::*;

mod checks;
mod handlers;
mod schedule;

pub use schedule::run;

pub type Manager = RefreshManager<ContextLock, ContextStore>;

/// What a context does, in order; it stops at its first error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `refresh()`.
    Refresh,
    /// `refresh()` with `steal`.
    StealRefresh,
    /// The seed's own flow: `spin_lock`, then `handle_mismatch` with
    /// reloaded tokens on a mismatch, else network, app save,
    /// `save_in_memory_and_db`. It checks nothing else.
    SpinSave,
    /// `on_logout()`, then the app clears its storage.
    Logout,
    /// A new login (a new grant): app save, `restore_session`,
    /// `spin_lock`, `save_in_memory_and_db`.
    Login,
    /// A new login as some apps do it: app save and `restore_session`
    /// only (its hash is written by the first refresh).
    LoginRestoring,
    /// The tab reloads: `restore_session` with the tokens it reads from the
    /// app's storage (late ones, if the storage lags).
    Reopen,
}

/// What may be injected, and how often in one run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Faults {
    pub crashes: u32,
    pub lapses: u32,
    pub store_failures: u32,
    pub save_failures: u32,
}

/// A scenario: the lock, the contexts, and the tasks each runs (two tasks
/// of one context share its manager).
#[derive(Clone, Debug)]
pub struct Scenario {
    pub lock: LockModel,
    pub contexts: usize,
    pub tasks: Vec<(usize, Vec<Op>)>,
    pub faults: Faults,
    /// Switches away from a context that could go on.
    pub preemptions: u32,
    /// The app's storage reaches the other contexts one read late.
    pub storage_lag: bool,
    /// The app gives the core no `save` (it is optional in JavaScript): it
    /// stores the tokens a refresh hands back, in its result or its error.
    pub no_save: bool,
}

/// A step the chooser can take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    Poll(usize),
    Crash(usize),
    Lapse,
    FailStore,
    FailSave,
}

struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

struct Task {
    context: usize,
    future: Option<Pin<Box<dyn Future<Output = ()>>>>,
    flag: Arc<Flag>,
}

impl Task {
    fn runnable(&self) -> bool {
        self.future.is_some() && self.flag.0.load(Ordering::SeqCst)
    }
}

/// What tasks handed back to the app: tokens in results and in errors.
#[derive(Default)]
struct Ledger {
    handed_back: RefCell<Vec<Pair>>,
    /// Pairs the server issued to a task (and its context) whose op has not
    /// ended yet (lost if the context crashes then).
    in_flight: RefCell<Vec<(usize, usize, Pair)>>,
    lost_in_crash: RefCell<Vec<Pair>>,
    /// Refresh ops that failed after the network call without the tokens
    /// it issued.
    dropped: RefCell<Vec<String>>,
    logged_out_grants: RefCell<Vec<u32>>,
    errors: RefCell<Vec<String>>,
}

struct Handlers {
    context: usize,
    /// This task's index in the scenario.
    task: usize,
    /// See [`Scenario::no_save`].
    no_save: bool,
    endpoint: Rc<Endpoint>,
    storage: Rc<AppStorage>,
    mine: Rc<RefCell<Option<SessionTokens>>>,
    ledger: Rc<Ledger>,
}

/// How a run ended.
pub struct Report {
    pub steps: usize,
    pub violations: Vec<String>,
}

/// Polls `future` to its end on the spot (for setup; it must not block).
fn settle<T>(future: impl Future<Output = T>) -> T {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1_000 {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
    panic!("setup blocked")
}
