//! A model checker for the core: a deterministic scheduler runs several
//! contexts' managers over the in-memory ports, a token endpoint with reuse
//! detection and a fake clock, and explores the interleavings of their
//! steps and of injected faults, checking the invariants after every step
//! (see `run.rs` and the README's guarantees).
//!
//! - [`exhaustive`] walks every schedule of a scenario (with a bound on
//!   preemptions: switches away from a context that could go on), replaying
//!   from the start for each (stateless model checking).
//! - [`random`] draws schedules from a seed, for scenarios too large to walk.
#![allow(dead_code)]

pub mod run;
pub mod world;

use run::{Choice, Faults, Op, Report, Scenario};
use world::LockModel;

/// A schedule that broke an invariant.
#[derive(Debug)]
pub struct Counterexample {
    pub schedule: Vec<Choice>,
    pub violations: Vec<String>,
    /// Schedules run before this one was found.
    pub runs: u64,
}

/// Runs one schedule, recording its choices.
fn record(
    scenario: &Scenario,
    choose: &mut dyn FnMut(usize, &[Choice]) -> usize,
) -> (Report, Vec<Choice>, Vec<usize>) {
    let mut taken = Vec::new();
    let mut widths = Vec::new();
    let report = run::run(scenario, &mut |step, choices| {
        let pick = choose(step, choices);
        taken.push(choices[pick]);
        widths.push(choices.len());
        pick
    });
    (report, taken, widths)
}

/// Every schedule of `scenario`, depth first; the number run, or the first
/// counterexample. Gives up (panics) past `limit` schedules, so that a
/// bound chosen too large fails loudly instead of running for hours.
pub fn exhaustive(scenario: &Scenario, limit: u64) -> Result<u64, Counterexample> {
    // The choice index taken at each step of the current path.
    let mut path: Vec<(usize, usize)> = Vec::new();
    let mut runs = 0u64;
    loop {
        let prefix = path.clone();
        let (report, schedule, widths) = record(scenario, &mut |step, _| {
            prefix.get(step).map_or(0, |(pick, _)| *pick)
        });
        runs += 1;
        if !report.violations.is_empty() {
            return Err(Counterexample {
                schedule,
                violations: report.violations,
                runs,
            });
        }
        // The path actually taken (the prefix, then first choices).
        path = widths
            .iter()
            .enumerate()
            .map(|(step, width)| (prefix.get(step).map_or(0, |(pick, _)| *pick), *width))
            .collect();
        // Next path: bump the deepest choice that has a sibling left.
        while let Some((pick, width)) = path.pop() {
            if pick + 1 < width {
                path.push((pick + 1, width));
                break;
            }
        }
        if path.is_empty() {
            return Ok(runs);
        }
        assert!(
            runs < limit,
            "over {limit} schedules: bound the scenario tighter"
        );
    }
}

/// `runs` schedules drawn from `seed`; the first counterexample, if any.
pub fn random(scenario: &Scenario, seed: u64, runs: u64) -> Result<u64, Counterexample> {
    let mut state = seed.max(1);
    let mut next = move || {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    for run in 1..=runs {
        let (report, schedule, _) = record(scenario, &mut |_, choices| {
            (next() % choices.len() as u64) as usize
        });
        if !report.violations.is_empty() {
            return Err(Counterexample {
                schedule,
                violations: report.violations,
                runs: run,
            });
        }
    }
    Ok(runs)
}

/// A scenario of `contexts` contexts over `lock`, each task `(context, ops)`:
/// no fault, four preemptions, the app's storage on time, a `save` handler.
pub fn scenario(lock: LockModel, contexts: usize, tasks: &[(usize, &[Op])]) -> Scenario {
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

/// The runs of a check that held; panics with the counterexample of one that did not.
pub fn must_hold(result: Result<u64, Counterexample>) -> u64 {
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

/// The most schedules an exhaustive check may walk.
pub const LIMIT: u64 = 2_000_000;
