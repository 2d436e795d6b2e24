//! The model checker over the core (see `tests/model/mod.rs`): exhaustive
//! for small scenarios, seeded random schedules beyond. Each scenario names
//! the rule it exercises; the README lists what removing a rule does here.
#![cfg(not(target_arch = "wasm32"))]

mod model;

use model::run::{Faults, Op, Scenario};
use model::world::LockModel;
use model::{exhaustive, random};

fn scenario(lock: LockModel, contexts: usize, tasks: &[(usize, &[Op])]) -> Scenario {
    Scenario {
        lock,
        contexts,
        tasks: tasks.iter().map(|(c, ops)| (*c, ops.to_vec())).collect(),
        faults: Faults::default(),
        preemptions: 4,
        storage_lag: false,
        no_save: false,
    }
}

fn must_hold(result: Result<u64, model::Counterexample>) -> u64 {
    match result {
        Ok(runs) => {
            println!("{runs} schedules, every invariant held");
            runs
        }
        Err(found) => panic!(
            "invariant broken after {} schedules: {:#?}\nschedule: {:?}",
            found.runs, found.violations, found.schedule
        ),
    }
}

const LIMIT: u64 = 2_000_000;

/// Three tabs refresh at once: one network call, the others adopt.
#[test]
fn three_contexts_refresh_once() {
    for lock in [LockModel::WebLocks, LockModel::LeasePerAcquisition] {
        let s = scenario(
            lock,
            3,
            &[
                (0, &[Op::Refresh]),
                (1, &[Op::Refresh]),
                (2, &[Op::Refresh]),
            ],
        );
        let runs = must_hold(exhaustive(&s, LIMIT));
        println!("{lock:?}: {runs} schedules");
    }
}

/// Two acquisitions of one context and another context, under a lock that
/// is re-entrant within a context: the core's turns alone exclude.
#[test]
fn in_context_exclusion_for_any_lock() {
    let s = scenario(
        LockModel::LeasePerContext,
        2,
        &[
            (0, &[Op::Refresh]),
            (0, &[Op::SpinSave]),
            (1, &[Op::SpinSave]),
        ],
    );
    must_hold(exhaustive(&s, LIMIT));
}

/// A logout races refreshes and the seed's own flow: it is never undone.
#[test]
fn logout_is_never_undone() {
    let s = scenario(
        LockModel::WebLocks,
        3,
        &[
            (0, &[Op::Logout]),
            (1, &[Op::Refresh, Op::Refresh]),
            (2, &[Op::SpinSave]),
        ],
    );
    must_hold(exhaustive(&s, LIMIT));
}

/// A new login after a logout keeps working, and another logout after it
/// is not undone either.
#[test]
fn login_after_logout() {
    let s = scenario(
        LockModel::LeasePerAcquisition,
        2,
        &[
            (0, &[Op::Logout, Op::Login, Op::Refresh]),
            (1, &[Op::Refresh, Op::SpinSave]),
        ],
    );
    must_hold(exhaustive(&s, LIMIT));
}

/// A refresh whose lease lapses during its network call, while another
/// context logs out and logs in anew: the ended session's hash never comes
/// back over the new login.
#[test]
fn logout_and_login_while_a_refresh_lost_its_lock() {
    let mut s = scenario(
        LockModel::LeasePerAcquisition,
        2,
        &[(0, &[Op::Refresh]), (1, &[Op::Logout, Op::Login])],
    );
    s.faults = Faults {
        lapses: 1,
        ..Faults::default()
    };
    s.preemptions = 3;
    must_hold(exhaustive(&s, LIMIT));
}

/// The app's storage reaches the other tabs one read late (localStorage in
/// Chromium): a tab that adopts, or reopens, may read tokens older than the
/// store's.
/// Still one network call per rotation, no spent token sent, nothing lost.
#[test]
fn storage_that_reaches_other_contexts_late() {
    for lock in [LockModel::WebLocks, LockModel::LeasePerAcquisition] {
        let mut s = scenario(
            lock,
            3,
            &[
                (0, &[Op::Refresh, Op::Refresh]),
                (1, &[Op::Reopen, Op::Refresh]),
                (2, &[Op::Refresh, Op::Refresh]),
            ],
        );
        s.storage_lag = true;
        s.preemptions = 3;
        must_hold(exhaustive(&s, LIMIT));
    }
}

/// A steal: stale writes are fenced and nothing is lost.
#[test]
fn steal_is_fenced() {
    let s = scenario(
        LockModel::WebLocks,
        2,
        &[(0, &[Op::SpinSave]), (1, &[Op::StealRefresh])],
    );
    must_hold(exhaustive(&s, LIMIT));
}

/// A new login that only `restore_session` takes in (its hash is written by
/// the first refresh, in any context), after a logout while the others
/// refresh: nothing undoes the logout, the new grant is refreshed once.
#[test]
fn login_by_restore_session_only() {
    for lock in [LockModel::WebLocks, LockModel::LeasePerAcquisition] {
        let mut s = scenario(
            lock,
            3,
            &[
                (0, &[Op::Refresh]),
                (1, &[Op::Logout, Op::LoginRestoring, Op::Refresh]),
                (2, &[Op::Refresh]),
            ],
        );
        s.preemptions = 3;
        must_hold(exhaustive(&s, LIMIT));
    }
}

/// Crashes, a lapsing lease, a failing store and a failing save, one each
/// at any step: no two holders, no lost update, no dropped tokens.
#[test]
fn faults_at_any_step() {
    let mut s = scenario(
        LockModel::LeasePerAcquisition,
        2,
        &[(0, &[Op::Refresh]), (1, &[Op::Refresh])],
    );
    s.preemptions = 3;
    for faults in [
        Faults {
            crashes: 1,
            ..Faults::default()
        },
        Faults {
            lapses: 1,
            ..Faults::default()
        },
        Faults {
            store_failures: 1,
            ..Faults::default()
        },
        Faults {
            save_failures: 1,
            ..Faults::default()
        },
    ] {
        s.faults = faults;
        must_hold(exhaustive(&s, LIMIT));
    }
    // Without a `save` handler, the tokens a failure after the network call
    // hands back are the app's only copy.
    s.no_save = true;
    s.faults = Faults {
        lapses: 1,
        store_failures: 1,
        ..Faults::default()
    };
    must_hold(exhaustive(&s, LIMIT));
}

/// Four contexts, every operation, every fault: seeded random schedules.
#[test]
fn random_schedules_with_every_fault() {
    let seed = std::env::var("MODEL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed);
    let runs = std::env::var("MODEL_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    for lock in [
        LockModel::WebLocks,
        LockModel::LeasePerAcquisition,
        LockModel::LeasePerContext,
    ] {
        let mut s = scenario(
            lock,
            4,
            &[
                (0, &[Op::Refresh, Op::SpinSave, Op::Refresh]),
                (1, &[Op::SpinSave, Op::Refresh]),
                (1, &[Op::Refresh]),
                (2, &[Op::Refresh, Op::Logout, Op::Login, Op::Refresh]),
                (3, &[Op::StealRefresh, Op::Refresh]),
            ],
        );
        s.preemptions = u32::MAX;
        s.storage_lag = true;
        s.faults = Faults {
            crashes: 1,
            lapses: 2,
            store_failures: 2,
            save_failures: 1,
        };
        must_hold(random(&s, seed, runs));
        s.no_save = true;
        must_hold(random(&s, seed, runs));
        // With no fault and no steal, the checks at the end of a run apply
        // too: every call ends well, no spent token is sent, one network
        // call per rotation. First every op with the storage on time, then
        // with the lag but without the app's own guard use (`SpinSave`),
        // which fails at once on lagging tokens (`StaleTokensError`, as
        // `handleMismatch` does) where `refresh()` reloads again.
        s.faults = Faults::default();
        s.no_save = false;
        let calm = |s: &mut Scenario, from: Op, to: Op| {
            for (_, ops) in &mut s.tasks {
                for op in ops.iter_mut().filter(|op| **op == from) {
                    *op = to;
                }
            }
        };
        calm(&mut s, Op::StealRefresh, Op::Refresh);
        s.storage_lag = false;
        must_hold(random(&s, seed, runs / 4));
        calm(&mut s, Op::SpinSave, Op::Refresh);
        s.storage_lag = true;
        must_hold(random(&s, seed, runs / 4));
        // And with no logout, whose errors those checks excuse.
        for (_, ops) in &mut s.tasks {
            ops.retain(|op| !matches!(op, Op::Logout | Op::Login));
        }
        must_hold(random(&s, seed, runs / 4));
    }
}
