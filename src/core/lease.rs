//! The lease lock's rules, for contexts without Web Locks: a lease record
//! names its holder, the acquisition that took it, and when it expires.
//!
//! Every acquisition has its own token, so a renewal or a release can only
//! touch the lease that acquisition took: a second acquisition in the same
//! context waits like any other, and a holder whose lease lapsed and was
//! taken cannot extend or delete its successor's.

/// A lease as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Lease {
    /// The holding context's name (diagnostics).
    pub holder: String,
    /// The holding acquisition (unique per acquisition).
    pub token: String,
    /// When the lease lapses, in ms since the epoch.
    pub expires_at_ms: f64,
}

/// What an acquisition asks of the lease record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaseOp {
    /// Take the lease if it is free or lapsed (or always, with `steal`).
    Take {
        /// Take it even from a live holder.
        steal: bool,
    },
    /// Extend the lease if this acquisition still holds it.
    Renew,
    /// Give the lease back if this acquisition still holds it.
    Release,
}

/// What to do to the lease record.
#[derive(Clone, Debug, PartialEq)]
pub enum LeaseAction {
    /// Write this lease: the acquisition holds it.
    Write(Lease),
    /// Delete the record: released.
    Delete,
    /// Leave the record as it is: the acquisition does not hold the lease.
    Keep,
}

/// Is `lease` live at `now_ms`? An unreadable record (`None`) is not.
pub fn is_live(lease: Option<&Lease>, now_ms: f64) -> bool {
    lease.is_some_and(|lease| lease.expires_at_ms > now_ms)
}

/// The decision for acquisition `token` of `holder`, given the stored
/// lease (`None`: none, or unreadable), at `now_ms`, for leases of `lease_ms`.
pub fn decide(
    current: Option<&Lease>,
    holder: &str,
    token: &str,
    op: LeaseOp,
    now_ms: f64,
    lease_ms: u32,
) -> LeaseAction {
    let ours = current.is_some_and(|lease| lease.token == token);
    let write = || {
        LeaseAction::Write(Lease {
            holder: holder.to_owned(),
            token: token.to_owned(),
            expires_at_ms: now_ms + f64::from(lease_ms),
        })
    };
    match op {
        LeaseOp::Take { steal } if steal || ours || !is_live(current, now_ms) => write(),
        LeaseOp::Renew if ours => write(),
        LeaseOp::Release if ours => LeaseAction::Delete,
        _ => LeaseAction::Keep,
    }
}
