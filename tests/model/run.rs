//! One run of a scenario under a chooser: build the world, then step by
//! step let the chooser pick which context to poll or which fault to inject,
//! checking the invariants after every step.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use cross_tab_refresh::core::memory::MemoryStore;
use cross_tab_refresh::core::{
    Cause, RefreshError, RefreshHandlers, RefreshManager, SessionHash, SessionTokens,
};

use super::world::*;

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
    /// Pairs the server issued to a context whose response the context had
    /// not passed on yet (lost if it crashes then).
    in_flight: RefCell<Vec<(usize, Pair)>>,
    lost_in_crash: RefCell<Vec<Pair>>,
    logged_out_grants: RefCell<Vec<u32>>,
    errors: RefCell<Vec<String>>,
}

struct Handlers {
    context: usize,
    endpoint: Rc<Endpoint>,
    storage: Rc<AppStorage>,
    mine: Rc<RefCell<Option<SessionTokens>>>,
    ledger: Rc<Ledger>,
}

fn callback(name: &'static str, why: &'static str) -> RefreshError {
    RefreshError::Callback {
        callback: name,
        cause: Some(Cause::new(why)),
        tokens: None,
    }
}

impl Handlers {
    async fn network(&self) -> Result<SessionTokens, RefreshError> {
        let presented = self.mine.borrow().clone();
        let presented = presented.ok_or_else(|| callback("refresh", "no tokens"))?;
        yield_now().await;
        let issued = self.endpoint.exchange(Pair::of(&presented));
        if let Ok(pair) = issued {
            self.ledger
                .in_flight
                .borrow_mut()
                .push((self.context, pair));
        }
        // The response travels back: a crash here loses it.
        yield_now().await;
        let pair = issued.map_err(|why| callback("refresh", why))?;
        self.ledger
            .in_flight
            .borrow_mut()
            .retain(|(c, p)| (*c, *p) != (self.context, pair));
        self.ledger.handed_back.borrow_mut().push(pair);
        Ok(pair.tokens())
    }
}

impl RefreshHandlers for Handlers {
    type Tokens = SessionTokens;

    async fn refresh(&self) -> Result<SessionTokens, RefreshError> {
        self.network().await
    }

    async fn reload(&self) -> Result<SessionTokens, RefreshError> {
        yield_now().await;
        let stored = self.storage.tokens.borrow().clone();
        let tokens = stored.ok_or_else(|| callback("reload", "logged out"))?;
        *self.mine.borrow_mut() = Some(tokens.clone());
        Ok(tokens)
    }

    async fn save(&self, tokens: &SessionTokens) -> Result<(), RefreshError> {
        yield_now().await;
        if self.storage.fail_next_save.replace(false) {
            return Err(callback("save", "quota exceeded"));
        }
        *self.storage.tokens.borrow_mut() = Some(tokens.clone());
        *self.mine.borrow_mut() = Some(tokens.clone());
        yield_now().await;
        Ok(())
    }
}

async fn run_op(
    op: Op,
    manager: &Manager,
    handlers: &Handlers,
    watch: &Watch,
) -> Result<(), RefreshError> {
    let wait = ModelOptions { steal: false };
    match op {
        Op::Refresh | Op::StealRefresh => {
            let options = ModelOptions {
                steal: op == Op::StealRefresh,
            };
            let (_, tokens) = manager.refresh(options, handlers).await?;
            *handlers.mine.borrow_mut() = Some(tokens);
        }
        Op::SpinSave => {
            let guard = manager.spin_lock(wait).await?;
            if guard.hash_mismatch() {
                let tokens = handlers.reload().await?;
                guard.handle_mismatch(&tokens).await?;
            } else {
                let tokens = handlers.network().await?;
                if let Err(error) = handlers.save(&tokens).await {
                    handlers
                        .ledger
                        .handed_back
                        .borrow_mut()
                        .push(Pair::of(&tokens));
                    return Err(error);
                }
                guard.save_in_memory_and_db(&tokens).await?;
            }
        }
        Op::Logout => {
            let grant = handlers.mine.borrow().as_ref().map(|t| Pair::of(t).grant);
            manager.on_logout().await?;
            *handlers.storage.tokens.borrow_mut() = None;
            *handlers.mine.borrow_mut() = None;
            if let Some(grant) = grant {
                handlers.ledger.logged_out_grants.borrow_mut().push(grant);
            }
        }
        Op::Login => {
            let tokens = handlers.endpoint.login().tokens();
            *handlers.storage.tokens.borrow_mut() = Some(tokens.clone());
            *handlers.mine.borrow_mut() = Some(tokens.clone());
            watch.knew_old.borrow_mut()[handlers.context] = false;
            manager.restore_session(&tokens).await?;
            let guard = manager.spin_lock(wait).await?;
            guard.save_in_memory_and_db(&tokens).await?;
        }
    }
    Ok(())
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

/// Runs `scenario` once; `choose(step, choices)` picks an index into
/// `choices`.
pub fn run(scenario: &Scenario, choose: &mut dyn FnMut(usize, &[Choice]) -> usize) -> Report {
    let n = scenario.contexts;
    let watch = Rc::new(Watch::new(n));
    let endpoint = Rc::new(Endpoint::default());
    let storage = Rc::new(AppStorage::default());
    let ledger = Rc::new(Ledger::default());
    let store = MemoryStore::default();
    let known: Rc<RefCell<Vec<Option<SessionHash>>>> = Rc::new(RefCell::new(vec![None; n]));
    let lock_world = Rc::new(LockWorld {
        model: scenario.lock,
        state: RefCell::default(),
        clock: Cell::new(0.0),
        watch: watch.clone(),
    });
    let managers: Vec<Manager> = (0..n)
        .map(|context| {
            let lock = ContextLock {
                world: lock_world.clone(),
                context,
            };
            let store = ContextStore {
                store: store.clone(),
                context,
                watch: watch.clone(),
                known: known.clone(),
            };
            RefreshManager::new(lock, store)
        })
        .collect();
    let mines: Vec<Rc<RefCell<Option<SessionTokens>>>> = (0..n).map(|_| Rc::default()).collect();

    // Logged in: the first context stored the session, every one restored it.
    let first = endpoint.login().tokens();
    *storage.tokens.borrow_mut() = Some(first.clone());
    settle(async {
        let guard = managers[0]
            .spin_lock(ModelOptions::default())
            .await
            .unwrap();
        guard.save_in_memory_and_db(&first).await.unwrap();
    });
    for (manager, mine) in managers.iter().zip(&mines) {
        settle(manager.restore_session(&first)).unwrap();
        *mine.borrow_mut() = Some(first.clone());
    }

    let mut tasks: Vec<Task> = scenario
        .tasks
        .iter()
        .map(|(context, ops)| {
            let (context, ops) = (*context, ops.clone());
            let manager = managers[context].clone();
            let handlers = Handlers {
                context,
                endpoint: endpoint.clone(),
                storage: storage.clone(),
                mine: mines[context].clone(),
                ledger: ledger.clone(),
            };
            let watch = watch.clone();
            let ledger = ledger.clone();
            let future = async move {
                for op in ops {
                    if let Err(error) = run_op(op, &manager, &handlers, &watch).await {
                        if let Some(tokens) = error.unsaved_tokens::<SessionTokens>() {
                            ledger.handed_back.borrow_mut().push(Pair::of(tokens));
                        }
                        ledger
                            .errors
                            .borrow_mut()
                            .push(format!("{op:?}: {}", error.name()));
                        break;
                    }
                }
            };
            Task {
                context,
                future: Some(Box::pin(future)),
                flag: Arc::new(Flag(AtomicBool::new(true))),
            }
        })
        .collect();

    let mut budget = scenario.faults;
    let mut preemptions = scenario.preemptions;
    let mut faulted = false;
    let mut stole = scenario
        .tasks
        .iter()
        .any(|(_, ops)| ops.contains(&Op::StealRefresh));
    let mut last: Option<usize> = None;
    let mut violations = Vec::new();
    let mut step = 0;
    let check = |violations: &mut Vec<String>, step: usize| {
        violations.extend(
            watch
                .violations
                .borrow_mut()
                .drain(..)
                .map(|v| format!("step {step}: {v}")),
        );
        let holders = lock_world.current_holders();
        if holders > 1 {
            violations.push(format!(
                "step {step}: {holders} contexts hold the lock at once"
            ));
        }
    };
    loop {
        let runnable: Vec<usize> = (0..tasks.len()).filter(|&i| tasks[i].runnable()).collect();
        if runnable.is_empty() {
            if tasks.iter().all(|t| t.future.is_none()) {
                break;
            }
            // Nothing can run: time passes. A dead holder's lease lapses;
            // anything else is a deadlock.
            let dead_holder =
                lock_world.lease_expiry().is_some() && watch.dead.borrow().iter().any(|d| *d);
            match lock_world.lease_expiry() {
                Some(expiry) if dead_holder => {
                    lock_world.clock.set(expiry);
                    watch.wake_all();
                    continue;
                }
                _ => {
                    violations.push(format!("step {step}: deadlock, no context can go on"));
                    break;
                }
            }
        }
        let mut choices: Vec<Choice> = Vec::new();
        match last {
            Some(current) if runnable.contains(&current) => {
                choices.push(Choice::Poll(current));
                if preemptions > 0 {
                    choices.extend(
                        runnable
                            .iter()
                            .filter(|&&i| i != current)
                            .map(|&i| Choice::Poll(i)),
                    );
                }
            }
            _ => choices.extend(runnable.iter().map(|&i| Choice::Poll(i))),
        }
        if budget.crashes > 0 {
            choices.extend(runnable.iter().map(|&i| Choice::Crash(i)));
        }
        if budget.lapses > 0 && lock_world.lease_expiry().is_some() {
            choices.push(Choice::Lapse);
        }
        if budget.store_failures > 0 {
            choices.push(Choice::FailStore);
        }
        if budget.save_failures > 0 {
            choices.push(Choice::FailSave);
        }
        let choice = choices[choose(step, &choices)];
        step += 1;
        if step > 5_000 {
            violations.push("a run took over 5000 steps: a livelock".to_owned());
            break;
        }
        // Every context's known hash, for the logout rule's watch.
        for (context, manager) in managers.iter().enumerate() {
            known.borrow_mut()[context] = manager.known_session_hash();
        }
        match choice {
            Choice::Poll(i) => {
                if let Some(current) = last
                    && current != i
                    && runnable.contains(&current)
                {
                    preemptions -= 1;
                }
                last = Some(i);
                let task = &mut tasks[i];
                task.flag.0.store(false, Ordering::SeqCst);
                let waker = Waker::from(task.flag.clone());
                let mut cx = Context::from_waker(&waker);
                if let Some(future) = task.future.as_mut()
                    && future.as_mut().poll(&mut cx).is_ready()
                {
                    task.future = None;
                }
            }
            Choice::Crash(i) => {
                budget.crashes -= 1;
                faulted = true;
                let context = tasks[i].context;
                watch.dead.borrow_mut()[context] = true;
                for task in tasks.iter_mut().filter(|t| t.context == context) {
                    task.future = None;
                }
                let lost: Vec<Pair> = ledger
                    .in_flight
                    .borrow()
                    .iter()
                    .filter(|(c, _)| *c == context)
                    .map(|(_, p)| *p)
                    .collect();
                ledger.lost_in_crash.borrow_mut().extend(lost);
                watch.wake_all();
            }
            Choice::Lapse => {
                budget.lapses -= 1;
                faulted = true;
                if let Some(expiry) = lock_world.lease_expiry() {
                    lock_world.clock.set(expiry);
                }
                watch.wake_all();
            }
            Choice::FailStore => {
                budget.store_failures -= 1;
                faulted = true;
                store.fail_next(1);
            }
            Choice::FailSave => {
                budget.save_failures -= 1;
                faulted = true;
                storage.fail_next_save.set(true);
            }
        }
        check(&mut violations, step);
        if !violations.is_empty() {
            break;
        }
    }
    stole |= faulted;
    if violations.is_empty() {
        end_checks(&endpoint, &storage, &ledger, stole, &mut violations);
    }
    Report {
        steps: step,
        violations,
    }
}

fn end_checks(
    endpoint: &Endpoint,
    storage: &AppStorage,
    ledger: &Ledger,
    faulted: bool,
    violations: &mut Vec<String>,
) {
    // Nothing lost: the newest pair of every live grant is in the app's
    // storage, was handed back, or died with a crashed context.
    let stored = storage.tokens.borrow().as_ref().map(Pair::of);
    for newest in endpoint.current.borrow().iter() {
        let accounted = stored == Some(*newest)
            || ledger.handed_back.borrow().contains(newest)
            || ledger.lost_in_crash.borrow().contains(newest)
            || ledger.logged_out_grants.borrow().contains(&newest.grant)
            || endpoint.is_revoked(newest.grant)
            || newest.index == 0;
        if !accounted {
            violations.push(format!("tokens {newest:?} were issued, then dropped"));
        }
    }
    if !faulted {
        if endpoint.reuses.get() > 0 {
            violations.push(format!(
                "a spent refresh token was sent {} time(s) with nothing failing: the grant is revoked",
                endpoint.reuses.get()
            ));
        }
        if endpoint.calls.get() != endpoint.rotations.get() {
            violations.push(format!(
                "{} network calls for {} rotations with nothing failing",
                endpoint.calls.get(),
                endpoint.rotations.get()
            ));
        }
    }
}
