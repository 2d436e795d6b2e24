//! The lease decision as a table, on the host: when a lease is taken,
//! renewed, released or kept, and when it is live.
#![cfg(not(target_arch = "wasm32"))]

use cross_tab_refresh::core::lease::{Lease, LeaseAction, LeaseOp, decide, is_live};

fn lease(token: &str, expires_at_ms: f64) -> Lease {
    Lease {
        holder: "ctx".to_owned(),
        token: token.to_owned(),
        expires_at_ms,
    }
}

fn written(token: &str, expires_at_ms: f64) -> LeaseAction {
    LeaseAction::Write(Lease {
        holder: "me".to_owned(),
        token: token.to_owned(),
        expires_at_ms,
    })
}

#[test]
fn the_lease_decision() {
    let take = LeaseOp::Take { steal: false };
    let steal = LeaseOp::Take { steal: true };
    let at = |current: Option<&Lease>, op| decide(current, "me", "t1", op, 1_000.0, 500);
    let live_other = lease("t0", 1_001.0);
    let lapsed_other = lease("t0", 1_000.0);
    let ours = lease("t1", 1_200.0);
    // Take: a free, unreadable or lapsed lease; not a live one of another
    // acquisition, even of this context; always with steal.
    assert_eq!(at(None, take), written("t1", 1_500.0));
    assert_eq!(at(Some(&lapsed_other), take), written("t1", 1_500.0));
    assert_eq!(at(Some(&live_other), take), LeaseAction::Keep);
    assert_eq!(at(Some(&live_other), steal), written("t1", 1_500.0));
    assert_eq!(at(Some(&ours), take), written("t1", 1_500.0));
    // Renew and release: only this acquisition's lease.
    assert_eq!(at(Some(&ours), LeaseOp::Renew), written("t1", 1_500.0));
    assert_eq!(at(Some(&live_other), LeaseOp::Renew), LeaseAction::Keep);
    assert_eq!(at(None, LeaseOp::Renew), LeaseAction::Keep);
    assert_eq!(at(Some(&ours), LeaseOp::Release), LeaseAction::Delete);
    assert_eq!(at(Some(&live_other), LeaseOp::Release), LeaseAction::Keep);
    assert_eq!(at(None, LeaseOp::Release), LeaseAction::Keep);
    // Live means strictly before expiry.
    assert!(is_live(Some(&lease("x", 1_001.0)), 1_000.0));
    assert!(!is_live(Some(&lease("x", 1_000.0)), 1_000.0));
    assert!(!is_live(None, 0.0));
}
