//! The option rules on the host: every bad value and its message, and the
//! edges that are accepted.

use cross_tab_refresh::core::options::{
    MAX_LEASE_MS, MAX_NAME_LEN, MAX_TIMEOUT_MS, MIN_LEASE_MS, lease_ms, name, steal_alone,
    timeout_ms,
};
use cross_tab_refresh::core::{ErrorKind, RefreshError};

fn message(result: Result<impl std::fmt::Debug, RefreshError>) -> String {
    match result.map_err(RefreshError::into_kind) {
        Err(ErrorKind::InvalidArgument(message)) => message,
        other => panic!("expected an InvalidArgument, got {other:?}"),
    }
}

#[test]
fn names_are_not_empty_and_not_too_long() {
    assert_eq!(
        message(name("options", "session", String::new())),
        "options.session must not be empty"
    );
    let long = "é".repeat(MAX_NAME_LEN + 1);
    assert_eq!(
        message(name("options", "holder", long)),
        format!(
            "options.holder is {} characters long; the limit is {MAX_NAME_LEN}",
            MAX_NAME_LEN + 1
        )
    );
    // UTF-16 units: an astral character counts twice.
    let astral = "𝄞".repeat(MAX_NAME_LEN / 2);
    assert_eq!(name("o", "k", astral.clone()).unwrap(), astral);
    assert!(name("o", "k", format!("{astral}x")).is_err());
}

#[test]
fn timeouts_are_whole_milliseconds_in_range() {
    for (bad, shown) in [
        (-1.0, "-1"),
        (0.5, "a fractional number"),
        (f64::NAN, "NaN"),
        (f64::INFINITY, "Infinity"),
        (f64::from(MAX_TIMEOUT_MS) + 1.0, "2147483648"),
    ] {
        assert_eq!(
            message(timeout_ms("spinLock options", "timeoutMs", bad)),
            format!(
                "spinLock options.timeoutMs must be a whole number of milliseconds from 0 to {MAX_TIMEOUT_MS}, got {shown}"
            )
        );
    }
    assert_eq!(timeout_ms("o", "k", 0.0).unwrap(), 0);
    assert_eq!(
        timeout_ms("o", "k", f64::from(MAX_TIMEOUT_MS)).unwrap(),
        MAX_TIMEOUT_MS
    );
}

#[test]
fn leases_are_timeouts_within_their_own_range() {
    for bad in [MIN_LEASE_MS - 1, MAX_LEASE_MS + 1, 0] {
        assert_eq!(
            message(lease_ms("options", "leaseMs", f64::from(bad))),
            format!("options.leaseMs must be from {MIN_LEASE_MS} to {MAX_LEASE_MS}, got {bad}")
        );
    }
    assert!(message(lease_ms("options", "leaseMs", 150.5)).contains("whole number"));
    assert_eq!(
        lease_ms("o", "k", f64::from(MIN_LEASE_MS)).unwrap(),
        MIN_LEASE_MS
    );
    assert_eq!(
        lease_ms("o", "k", f64::from(MAX_LEASE_MS)).unwrap(),
        MAX_LEASE_MS
    );
}

#[test]
fn stealing_excludes_waiting() {
    assert_eq!(
        message(steal_alone(
            "spinLock options",
            true,
            true,
            "signal or timeoutMs"
        )),
        "spinLock options.steal takes the lock at once: it cannot be combined with signal or timeoutMs"
    );
    for (steal, waiting) in [(true, false), (false, true), (false, false)] {
        assert!(steal_alone("o", steal, waiting, "w").is_ok());
    }
}
