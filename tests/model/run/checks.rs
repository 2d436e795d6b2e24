//! The invariants checked once a run has ended: no issued tokens dropped,
//! and with nothing failing, every call ending well (but for a logout), no
//! spent refresh token sent and one network call per rotation.

use super::super::world::{AppStorage, Endpoint, Pair};
use super::Ledger;

pub(super) fn end_checks(
    endpoint: &Endpoint,
    storage: &AppStorage,
    ledger: &Ledger,
    faulted: bool,
    logouts: bool,
    violations: &mut Vec<String>,
) {
    violations.extend(ledger.dropped.borrow().iter().cloned());
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
        // Every call ends well, but for what a logout does: the session is
        // logged out, the app's storage a handler reads is empty, a guard
        // held across the logout is fenced (a logout does not wait for the lock).
        const LOGOUT: [&str; 3] = [": LoggedOutError", ": CallbackError", ": FencedError"];
        for error in ledger.errors.borrow().iter() {
            if !(logouts && LOGOUT.iter().any(|name| error.ends_with(name))) {
                violations.push(format!("{error} with nothing failing"));
            }
        }
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
