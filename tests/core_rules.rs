//! Every rule of the core as a table, on the host: the fence, the
//! generations of writes and logouts, the logout rule, the lease decision,
//! and the stored record's format.
#![cfg(not(target_arch = "wasm32"))]

use cross_tab_refresh::core::fence::{
    fence, logged_out_since, next_generation, tombstone_generation,
};
use cross_tab_refresh::core::lease::{Lease, LeaseAction, LeaseOp, decide, is_live};
use cross_tab_refresh::core::record::{
    MAX_GENERATION, RECORD_FORMAT, RawField, RawRecord, decode, number_text, readable_generation,
};
use cross_tab_refresh::core::{RefreshError, SessionHash, StoredState};
use proptest::prelude::*;

fn state(hash: Option<u8>, generation: u64) -> StoredState {
    StoredState {
        hash: hash.map(|b| SessionHash::from_bytes(vec![b; 32])),
        generation,
    }
}

#[test]
fn the_fence_lets_a_write_land_only_over_the_record_it_read() {
    assert_eq!(fence(&state(Some(1), 4), &state(Some(1), 4)).unwrap(), 5);
    assert_eq!(fence(&state(None, 0), &state(None, 0)).unwrap(), 1);
    // Another write since: a newer generation.
    let error = fence(&state(Some(1), 4), &state(Some(2), 5)).unwrap_err();
    assert!(matches!(
        error,
        RefreshError::Fenced {
            expected: 4,
            found: 5
        }
    ));
    // The same generation with another hash (a logout that wrapped, a
    // record rewritten by hand) is another record too.
    assert!(fence(&state(Some(1), 1), &state(None, 1)).is_err());
    assert!(fence(&state(Some(1), 1), &state(Some(2), 1)).is_err());
    // At the largest generation, the next write wraps to 1.
    assert_eq!(
        fence(
            &state(Some(1), MAX_GENERATION),
            &state(Some(1), MAX_GENERATION)
        )
        .unwrap(),
        1
    );
}

#[test]
fn generations_grow_by_one_and_wrap_after_the_largest() {
    assert_eq!(next_generation(0), 1);
    assert_eq!(next_generation(41), 42);
    assert_eq!(next_generation(MAX_GENERATION - 1), MAX_GENERATION);
    assert_eq!(next_generation(MAX_GENERATION), 1);
    assert_eq!(MAX_GENERATION, (1 << 53) - 1);
}

#[test]
fn a_logout_never_reuses_the_generation_it_replaces() {
    assert_eq!(tombstone_generation(Some(0)), 1);
    assert_eq!(tombstone_generation(Some(7)), 8);
    assert_eq!(tombstone_generation(Some(MAX_GENERATION)), 1);
    // Unreadable: the largest, never the 1 of a login after a logout.
    assert_eq!(tombstone_generation(None), MAX_GENERATION);
}

#[test]
fn the_logout_rule() {
    let learned = state(Some(1), 3);
    // A tombstone other than the one learned at: logged out since.
    assert!(logged_out_since(&state(None, 4), &learned, true));
    assert!(logged_out_since(
        &state(None, MAX_GENERATION),
        &learned,
        true
    ));
    // The very tombstone the tokens were learned at: a new login after it.
    assert!(!logged_out_since(&state(None, 4), &state(None, 4), true));
    // No tombstone: not a logout (a refresh elsewhere is a mismatch).
    assert!(!logged_out_since(&state(Some(2), 4), &learned, true));
    // Nothing ever stored is no logout.
    assert!(!logged_out_since(&state(None, 0), &learned, true));
    // A context that knows no session may log in over a tombstone.
    assert!(!logged_out_since(&state(None, 4), &learned, false));
}

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

fn fields(format: RawField, hash: RawField, generation: RawField) -> RawRecord {
    RawRecord::Fields {
        format,
        hash,
        generation,
    }
}

fn bytes(n: usize) -> RawField {
    RawField::Bytes(vec![7; n])
}

fn num(n: f64) -> RawField {
    RawField::Number(n)
}

fn reason(raw: &RawRecord) -> String {
    match decode(raw) {
        Err(RefreshError::InvalidPreviousHash { reason }) => reason,
        other => panic!("expected an unreadable record, got {other:?}"),
    }
}

#[test]
fn records_that_read() {
    let format = num(f64::from(RECORD_FORMAT));
    assert_eq!(decode(&RawRecord::Absent).unwrap(), StoredState::default());
    let state = decode(&fields(format.clone(), bytes(32), num(1.0))).unwrap();
    assert_eq!(state.generation, 1);
    assert_eq!(state.hash.unwrap().as_bytes(), &[7; 32]);
    let tombstone = decode(&fields(format.clone(), RawField::Null, num(9.0))).unwrap();
    assert_eq!(tombstone, state_none(9));
    let largest = decode(&fields(format, RawField::Null, num(MAX_GENERATION as f64))).unwrap();
    assert_eq!(largest.generation, MAX_GENERATION);
}

fn state_none(generation: u64) -> StoredState {
    StoredState {
        hash: None,
        generation,
    }
}

#[test]
fn records_that_do_not_read_say_why() {
    let one = || num(1.0);
    assert_eq!(
        reason(&RawRecord::NotAnObject("string".to_owned())),
        "the record is a string, not an object"
    );
    assert_eq!(
        reason(&fields(num(2.0), bytes(32), one())),
        "record format 2 is newer than this version understands (1)"
    );
    assert_eq!(
        reason(&fields(num(0.0), bytes(32), one())),
        "record format is the number 0"
    );
    assert_eq!(
        reason(&fields(RawField::Missing, bytes(32), one())),
        "record format is missing"
    );
    assert_eq!(
        reason(&fields(
            RawField::Other("string".to_owned()),
            bytes(32),
            one()
        )),
        "record format is a string"
    );
    let generation = |g: RawField| reason(&fields(one(), bytes(32), g));
    let expected =
        |what: &str| format!("generation is {what}, expected an integer from 1 to 2^53-1");
    assert_eq!(generation(num(0.0)), expected("the number 0"));
    assert_eq!(generation(num(-3.0)), expected("the number -3"));
    assert_eq!(generation(num(1.5)), expected("a fractional number"));
    assert_eq!(
        generation(num(MAX_GENERATION as f64 + 1.0)),
        expected("the number 9007199254740992")
    );
    assert_eq!(generation(RawField::Null), expected("null"));
    assert_eq!(generation(RawField::Missing), expected("missing"));
    let hash = |h: RawField| reason(&fields(one(), h, one()));
    assert_eq!(
        hash(bytes(31)),
        "hash is 31 bytes, expected 32 bytes or null"
    );
    assert_eq!(
        hash(bytes(33)),
        "hash is 33 bytes, expected 32 bytes or null"
    );
    assert_eq!(
        hash(RawField::Missing),
        "hash is missing, expected 32 bytes or null"
    );
    assert_eq!(
        hash(num(4.0)),
        "hash is the number 4, expected 32 bytes or null"
    );
}

#[test]
fn a_readable_generation_survives_other_bad_fields() {
    assert_eq!(readable_generation(&RawRecord::Absent), Some(0));
    assert_eq!(
        readable_generation(&RawRecord::NotAnObject("number".to_owned())),
        None
    );
    assert_eq!(
        readable_generation(&fields(RawField::Null, bytes(3), num(12.0))),
        Some(12)
    );
    assert_eq!(
        readable_generation(&fields(num(1.0), bytes(32), num(0.5))),
        None
    );
    assert_eq!(
        readable_generation(&fields(num(1.0), bytes(32), num(0.0))),
        None
    );
    assert_eq!(
        readable_generation(&fields(num(1.0), bytes(32), num(MAX_GENERATION as f64))),
        Some(MAX_GENERATION)
    );
}

#[test]
fn numbers_in_messages() {
    assert_eq!(number_text(3.0), "3");
    assert_eq!(number_text(-0.0), "0");
    assert_eq!(number_text(-12.0), "-12");
    assert_eq!(number_text(f64::NAN), "NaN");
    assert_eq!(number_text(f64::INFINITY), "Infinity");
    assert_eq!(number_text(f64::NEG_INFINITY), "-Infinity");
    assert_eq!(number_text(0.25), "a fractional number");
    assert_eq!(number_text(9_007_199_254_740_992.0), "9007199254740992");
    assert_eq!(number_text(1e300), "a number beyond 2^63");
}

proptest! {
    /// A logout's generation never equals the readable one it replaces, and
    /// every write's generation stays within what a JS number holds.
    #[test]
    fn generations_stay_in_range(g in 0u64..=MAX_GENERATION) {
        prop_assert_ne!(tombstone_generation(Some(g)), g);
        let next = next_generation(g);
        prop_assert!((1..=MAX_GENERATION).contains(&next));
        prop_assert!(next == g + 1 || (g == MAX_GENERATION && next == 1));
    }

    /// The fence: a write lands exactly when the record is the one read.
    #[test]
    fn the_fence_is_record_equality(a in proptest::option::of(0u8..3), b in proptest::option::of(0u8..3), ga in 0u64..4, gb in 0u64..4) {
        let (read, found) = (state(a, ga), state(b, gb));
        prop_assert_eq!(fence(&read, &found).is_ok(), read == found);
    }
}

#[test]
fn numbers_at_the_edge_of_i64() {
    assert_eq!(number_text(9.2e18), "a number beyond 2^63");
    assert_eq!(number_text(9.1e18), "9100000000000000000");
}

#[test]
fn error_names_causes_and_debug() {
    use cross_tab_refresh::core::Cause;
    let cause = || Some(Cause::new(7u8));
    let with_cause = [
        RefreshError::Aborted { cause: cause() },
        RefreshError::Store {
            message: "m".to_owned(),
            cause: cause(),
        },
        RefreshError::NotSupported {
            message: "m".to_owned(),
            cause: cause(),
        },
        RefreshError::Callback {
            callback: "save",
            cause: cause(),
            tokens: None,
        },
    ];
    for error in &with_cause {
        assert_eq!(
            error.cause().and_then(|c| c.downcast_ref::<u8>()),
            Some(&7),
            "{}",
            error.name()
        );
    }
    assert!(RefreshError::LoggedOut.cause().is_none());
    assert_eq!(format!("{:?}", Cause::new(1)), "Cause(..)");
    let names: Vec<&str> = [
        RefreshError::LockTimeout { timeout_ms: 1 },
        RefreshError::InvalidPreviousHash {
            reason: String::new(),
        },
        RefreshError::Fenced {
            expected: 1,
            found: 2,
        },
        RefreshError::invalid_argument("x"),
        RefreshError::Closed,
        RefreshError::GuardReleased,
        RefreshError::LoggedOut,
        RefreshError::Reentrant,
    ]
    .iter()
    .map(RefreshError::name)
    .collect();
    assert_eq!(
        names,
        [
            "LockTimeoutError",
            "InvalidPreviousHashError",
            "FencedError",
            "InvalidArgumentError",
            "ClosedError",
            "GuardReleasedError",
            "LoggedOutError",
            "ReentrancyError"
        ]
    );
}
