//! The run itself: build the world, then step by step let the chooser pick
//! which context to poll or which fault to inject, checking the invariants
//! after every step.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::task::{Context, Waker};

use cross_tab_refresh::core::memory::MemoryStore;
use cross_tab_refresh::core::{RefreshManager, SessionHash, SessionTokens};

use super::super::world::{
    AppStorage, ContextLock, ContextStore, Endpoint, LockWorld, ModelOptions, Pair, Watch,
};
use super::checks::end_checks;
use super::handlers::{Shared, spawn_tasks};
use super::{Choice, Ledger, Manager, Op, Report, Scenario, settle};

/// Runs `scenario` once; `choose(step, choices)` picks an index into
/// `choices`.
pub fn run(scenario: &Scenario, choose: &mut dyn FnMut(usize, &[Choice]) -> usize) -> Report {
    let n = scenario.contexts;
    let watch = Rc::new(Watch::new(n));
    let endpoint = Rc::new(Endpoint::default());
    let storage = Rc::new(AppStorage::new(n, scenario.storage_lag));
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
                endpoint: endpoint.clone(),
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

    let shared = Shared {
        endpoint: &endpoint,
        storage: &storage,
        ledger: &ledger,
        watch: &watch,
    };
    let mut tasks = spawn_tasks(scenario, &managers, &mines, &shared);

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
                    .filter(|(_, c, _)| *c == context)
                    .map(|(_, _, p)| *p)
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
    let logouts = scenario
        .tasks
        .iter()
        .any(|(_, ops)| ops.contains(&Op::Logout));
    if violations.is_empty() {
        end_checks(
            &endpoint,
            &storage,
            &ledger,
            stole,
            logouts,
            &mut violations,
        );
    }
    Report {
        steps: step,
        violations,
    }
}
