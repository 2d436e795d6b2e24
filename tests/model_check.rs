//! The model checker over the core (see `tests/model/mod.rs`), exhaustive
//! over small scenarios; `model_check_faults.rs` adds faults at any step and
//! seeded random schedules beyond. Each scenario names the rule it
//! exercises; the README lists what removing a rule does here.
#![cfg(not(target_arch = "wasm32"))]

mod model;

use model::run::{Faults, Op};
use model::world::LockModel;
use model::{LIMIT, exhaustive, must_hold, scenario};

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
