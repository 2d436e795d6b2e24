//! The model checker over the core with faults (see `tests/model/mod.rs`):
//! a crash, a lapsing lease, a failing store or save at any step of small
//! scenarios, and seeded random schedules of four contexts with every fault.
#![cfg(not(target_arch = "wasm32"))]

mod model;

use model::run::{Faults, Op, Scenario};
use model::world::LockModel;
use model::{LIMIT, exhaustive, must_hold, random, scenario};

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
