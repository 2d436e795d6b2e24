//! The rules every option obeys, as pure functions: lengths, ranges and
//! defaults. The JavaScript decoder (and any other front end) reads a value,
//! then asks these; each error names the option the way its caller spells it
//! (`what` and `key`), so the core names no API of its own.

use super::RefreshError;
use super::text::{decimal, join, number_text};

/// Longest accepted session, holder and database name, in UTF-16 units.
pub const MAX_NAME_LEN: usize = 1024;
/// Default lock timeout, as the seed's `spin_lock`.
pub const DEFAULT_LOCK_TIMEOUT_MS: u32 = 60_000;
/// Largest timeout a browser timer honours (2^31 − 1 ms).
pub const MAX_TIMEOUT_MS: u32 = i32::MAX as u32;
/// Default lease length of the lease lock.
pub const DEFAULT_LEASE_MS: u32 = 20_000;
/// Shortest accepted lease.
pub const MIN_LEASE_MS: u32 = 100;
/// Longest accepted lease (ten minutes).
pub const MAX_LEASE_MS: u32 = 600_000;
/// Default IndexedDB database name.
pub const DEFAULT_DATABASE_NAME: &str = "cross-tab-refresh";

fn invalid(message: String) -> RefreshError {
    RefreshError::invalid_argument(message)
}

/// A name (session, holder, database): not empty, at most [`MAX_NAME_LEN`]
/// UTF-16 units.
pub fn name(what: &str, key: &str, text: String) -> Result<String, RefreshError> {
    // UTF-16 units, counted on the UTF-8 bytes: one for each byte that
    // starts a character (any but a continuation byte, 0b10xxxxxx), and one
    // more for each that starts a character of four bytes (a surrogate pair).
    let len: usize = text
        .bytes()
        .map(|byte| usize::from(byte & 0xC0 != 0x80) + usize::from(byte >= 0xF0))
        .sum();
    if len == 0 {
        Err(invalid(join(&[what, ".", key, " must not be empty"])))
    } else if len > MAX_NAME_LEN {
        Err(invalid(join(&[
            what,
            ".",
            key,
            " is ",
            &decimal(len as u64),
            " characters long; the limit is ",
            &decimal(MAX_NAME_LEN as u64),
        ])))
    } else {
        Ok(text)
    }
}

/// A timeout in milliseconds: a whole number from 0 to [`MAX_TIMEOUT_MS`].
pub fn timeout_ms(what: &str, key: &str, ms: f64) -> Result<u32, RefreshError> {
    if !ms.is_finite() || ms < 0.0 || ms.fract() != 0.0 || ms > f64::from(MAX_TIMEOUT_MS) {
        return Err(invalid(join(&[
            what,
            ".",
            key,
            " must be a whole number of milliseconds from 0 to ",
            &decimal(MAX_TIMEOUT_MS.into()),
            ", got ",
            &number_text(ms),
        ])));
    }
    Ok(ms as u32)
}

/// A lease length: a timeout from [`MIN_LEASE_MS`] to [`MAX_LEASE_MS`].
pub fn lease_ms(what: &str, key: &str, ms: f64) -> Result<u32, RefreshError> {
    match timeout_ms(what, key, ms)? {
        ms if (MIN_LEASE_MS..=MAX_LEASE_MS).contains(&ms) => Ok(ms),
        ms => Err(invalid(join(&[
            what,
            ".",
            key,
            " must be from ",
            &decimal(MIN_LEASE_MS.into()),
            " to ",
            &decimal(MAX_LEASE_MS.into()),
            ", got ",
            &decimal(ms.into()),
        ]))),
    }
}

/// Stealing takes the lock at once, so it excludes every way of waiting
/// (`waits` names them, as the caller spells them).
pub fn steal_alone(
    what: &str,
    steal: bool,
    waiting: bool,
    waits: &str,
) -> Result<(), RefreshError> {
    if steal && waiting {
        return Err(invalid(join(&[
            what,
            ".steal takes the lock at once: it cannot be combined with ",
            waits,
        ])));
    }
    Ok(())
}
