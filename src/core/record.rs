//! The stored record's format, and how an untrusted record is read back.
//!
//! A record is `{ format: 1, hash: <32 bytes> | null, generation: <integer ≥ 1>,
//! logouts?: <integer from 0 to 2^32 − 1> }` (`logouts` absent, as version 0.1
//! wrote it, is 0).
//! Anything else is reported as [`ErrorKind::InvalidPreviousHash`], never
//! guessed at.

use super::hash::SESSION_HASH_LEN;
use super::text::{decimal, join};
use super::{ErrorKind, RefreshError, SessionHash, StoredState};

/// Moved to [`crate::core::text`]; here too for callers of 0.1.
pub use super::text::number_text;

/// The record format this version writes and reads.
pub const RECORD_FORMAT: u32 = 1;

/// The largest generation a JavaScript number holds exactly (2^53 − 1).
pub const MAX_GENERATION: u64 = (1 << 53) - 1;

/// One field of a stored record, as the store found it.
#[derive(Clone, Debug, PartialEq)]
pub enum RawField {
    /// The field is absent (or `undefined`).
    Missing,
    /// The field is `null`.
    Null,
    /// A number.
    Number(f64),
    /// Binary data (`Uint8Array` or `ArrayBuffer`).
    Bytes(Vec<u8>),
    /// Anything else; the string names its type.
    Other(String),
}

/// A stored record as the store found it, before validation.
#[derive(Clone, Debug, PartialEq)]
pub enum RawRecord {
    /// Nothing is stored for the session.
    Absent,
    /// Something that is not an object (the string names its type).
    NotAnObject(String),
    /// An object with these fields.
    Fields {
        /// `format`.
        format: RawField,
        /// `hash`.
        hash: RawField,
        /// `generation`.
        generation: RawField,
        /// `logouts`.
        logouts: RawField,
    },
}

fn invalid(reason: impl Into<String>) -> RefreshError {
    ErrorKind::InvalidPreviousHash {
        reason: reason.into(),
    }
    .into()
}

fn describe(field: &RawField) -> String {
    match field {
        RawField::Missing => "missing".to_owned(),
        RawField::Null => "null".to_owned(),
        RawField::Number(n) => match number_text(*n) {
            digits if matches!(digits.as_bytes().first(), Some(b'-' | b'0'..=b'9')) => {
                join(&["the number ", &digits])
            }
            words => words,
        },
        RawField::Bytes(b) => join(&[&decimal(b.len() as u64), " bytes"]),
        RawField::Other(kind) => join(&["a ", kind]),
    }
}

fn generation_of(field: &RawField) -> Option<u64> {
    match field {
        RawField::Number(n) if n.fract() == 0.0 && *n >= 1.0 && *n <= MAX_GENERATION as f64 => {
            Some(*n as u64)
        }
        _ => None,
    }
}

/// Absent (as version 0.1 wrote records) is 0.
fn logouts_of(field: &RawField) -> Option<u32> {
    match field {
        RawField::Missing => Some(0),
        RawField::Number(n) if n.fract() == 0.0 && *n >= 0.0 && *n <= f64::from(u32::MAX) => {
            Some(*n as u32)
        }
        _ => None,
    }
}

/// Reads a raw record as a stored state, or says why it cannot.
pub fn decode(raw: &RawRecord) -> Result<StoredState, RefreshError> {
    let (format, hash, generation, logouts) = match raw {
        RawRecord::Absent => return Ok(StoredState::default()),
        RawRecord::NotAnObject(kind) => {
            return Err(invalid(join(&[
                "the record is a ",
                kind,
                ", not an object",
            ])));
        }
        RawRecord::Fields {
            format,
            hash,
            generation,
            logouts,
        } => (format, hash, generation, logouts),
    };
    match format {
        RawField::Number(n) if *n == f64::from(RECORD_FORMAT) => {}
        RawField::Number(n) if *n > f64::from(RECORD_FORMAT) => {
            return Err(invalid(join(&[
                "record format ",
                &number_text(*n),
                " is newer than this version understands (",
                &decimal(RECORD_FORMAT.into()),
                ")",
            ])));
        }
        other => return Err(invalid(join(&["record format is ", &describe(other)]))),
    }
    let Some(generation) = generation_of(generation) else {
        return Err(invalid(join(&[
            "generation is ",
            &describe(generation),
            ", expected an integer from 1 to 2^53-1",
        ])));
    };
    let Some(logouts) = logouts_of(logouts) else {
        return Err(invalid(join(&[
            "logouts is ",
            &describe(logouts),
            ", expected an integer from 0 to 2^32-1",
        ])));
    };
    let hash = match hash {
        RawField::Null => None,
        RawField::Bytes(bytes) if bytes.len() == SESSION_HASH_LEN => {
            Some(SessionHash::from_bytes(bytes.clone()))
        }
        other => {
            return Err(invalid(join(&[
                "hash is ",
                &describe(other),
                ", expected ",
                &decimal(SESSION_HASH_LEN as u64),
                " bytes or null",
            ])));
        }
    };
    Ok(StoredState {
        hash,
        generation,
        logouts,
    })
}

/// The generation of `raw`, if it can be read: 0 when nothing is stored;
/// a record whose other fields are bad still has a readable generation.
pub fn readable_generation(raw: &RawRecord) -> Option<u64> {
    match raw {
        RawRecord::Absent => Some(0),
        RawRecord::NotAnObject(_) => None,
        RawRecord::Fields { generation, .. } => generation_of(generation),
    }
}
