//! The stored record's format as a table, on the host: records that read,
//! records that do not and why, a generation read past other bad fields,
//! and numbers as messages print them.
#![cfg(not(target_arch = "wasm32"))]

use cross_tab_refresh::core::record::{
    MAX_GENERATION, RECORD_FORMAT, RawField, RawRecord, decode, readable_generation,
};
use cross_tab_refresh::core::text::{decimal, number_text};
use cross_tab_refresh::core::{ErrorKind, RefreshError, StoredState};

/// A record as version 0.1 wrote it: no `logouts`.
fn fields(format: RawField, hash: RawField, generation: RawField) -> RawRecord {
    with_logouts(format, hash, generation, RawField::Missing)
}

fn with_logouts(
    format: RawField,
    hash: RawField,
    generation: RawField,
    logouts: RawField,
) -> RawRecord {
    RawRecord::Fields {
        format,
        hash,
        generation,
        logouts,
    }
}

fn bytes(n: usize) -> RawField {
    RawField::Bytes(vec![7; n])
}

fn num(n: f64) -> RawField {
    RawField::Number(n)
}

fn reason(raw: &RawRecord) -> String {
    match decode(raw).map_err(RefreshError::into_kind) {
        Err(ErrorKind::InvalidPreviousHash { reason }) => reason,
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
    let largest = decode(&fields(
        format.clone(),
        RawField::Null,
        num(MAX_GENERATION as f64),
    ))
    .unwrap();
    assert_eq!(largest.generation, MAX_GENERATION);
    // `logouts`: absent (version 0.1) is 0; any whole number up to 2^32-1.
    let logouts = |n: RawField| decode(&with_logouts(format.clone(), bytes(32), num(3.0), n));
    assert_eq!(logouts(RawField::Missing).unwrap().logouts, 0);
    assert_eq!(logouts(num(0.0)).unwrap().logouts, 0);
    assert_eq!(logouts(num(4.0)).unwrap().logouts, 4);
    assert_eq!(logouts(num(f64::from(u32::MAX))).unwrap().logouts, u32::MAX);
}

fn state_none(generation: u64) -> StoredState {
    StoredState {
        hash: None,
        generation,
        logouts: 0,
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
    let logouts = |n: RawField| reason(&with_logouts(one(), bytes(32), one(), n));
    let expected = |what: &str| format!("logouts is {what}, expected an integer from 0 to 2^32-1");
    assert_eq!(logouts(num(-1.0)), expected("the number -1"));
    assert_eq!(logouts(num(0.5)), expected("a fractional number"));
    assert_eq!(
        logouts(num(f64::from(u32::MAX) + 1.0)),
        expected("the number 4294967296")
    );
    assert_eq!(logouts(RawField::Null), expected("null"));
    assert_eq!(
        logouts(RawField::Other("string".to_owned())),
        expected("a string")
    );
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
    assert_eq!(number_text(-9.0e18), "-9000000000000000000");
    for n in [
        0,
        7,
        10,
        99,
        100,
        4_294_967_295,
        9_007_199_254_740_991,
        u64::MAX,
    ] {
        assert_eq!(decimal(n), n.to_string());
    }
}

#[test]
fn numbers_at_the_edge_of_i64() {
    assert_eq!(number_text(9.2e18), "a number beyond 2^63");
    assert_eq!(number_text(9.1e18), "9100000000000000000");
}
