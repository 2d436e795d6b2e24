//! The generation rules: when a write may land (the fence), which generation
//! a write and a logout carry, and when a context learns that it was logged
//! out. The in-memory store and the IndexedDB store both call these, so they
//! cannot drift apart.

use super::record::MAX_GENERATION;
use super::{ErrorKind, RefreshError, StoredState};

/// The generation a write after `generation` carries: one more, wrapping
/// from 2^53 − 1 (the largest a JavaScript number holds exactly) to 1.
///
/// Wrapping is safe because the fence compares whole records, not only
/// generations: a guard that read generation 1 long ago also read its hash.
pub fn next_generation(generation: u64) -> u64 {
    if generation >= MAX_GENERATION {
        1
    } else {
        generation + 1
    }
}

/// The fence: a guard that read `read` may write only if the store still
/// holds exactly that (same generation, same hash). Returns the generation
/// the write carries; else [`ErrorKind::Fenced`], and nothing is written.
pub fn fence(read: &StoredState, found: &StoredState) -> Result<u64, RefreshError> {
    if read != found {
        return Err(ErrorKind::Fenced {
            expected: read.generation,
            found: found.generation,
        }
        .into());
    }
    Ok(next_generation(found.generation))
}

/// The generation of a logout's tombstone, given the stored generation if it
/// can be read (0 when nothing is stored).
///
/// An unreadable generation gives 2^53 − 1: a logout must never go back to a
/// record a context may have learned (say generation 1 with no hash, a login
/// after an earlier logout), or that context would not see it was logged out.
pub fn tombstone_generation(readable: Option<u64>) -> u64 {
    readable.map_or(MAX_GENERATION, next_generation)
}

/// The logout count of a logout's tombstone, given the stored count if it
/// can be read: one more, wrapping from 2^32 − 1 to 1; an unreadable count
/// gives 2^32 − 1.
pub fn tombstone_logouts(readable: Option<u32>) -> u32 {
    readable.map_or(u32::MAX, |n| n.checked_add(1).unwrap_or(1))
}

/// The logout rule. A context that knows a session learned it when the
/// store held `learned`; if the store now holds a tombstone other than
/// `learned`, a logout happened since, and the context must not refresh or
/// write (it would undo the logout). A tombstone equal to `learned` is a
/// new login after that logout; a context that knows no session may log in.
pub fn logged_out_since(stored: &StoredState, learned: &StoredState, knows_session: bool) -> bool {
    knows_session && stored.hash.is_none() && stored.generation != 0 && stored != learned
}

/// The rule for a write after a logout and a new login. Tokens known (or
/// a guard's first read made) at logout count `at`, while the store holds
/// another count, belong to a session that ended, whatever was stored
/// after: their context may adopt what the store holds now, but not write
/// the hash of other tokens over it (those are the ended session's, older
/// still, or, rarely, a newer pair of the new login that a context saved
/// and then stopped before it wrote their hash). Nothing stored (the
/// database deleted, say) is no logout.
pub fn ended_since(stored: &StoredState, at: Option<u32>) -> bool {
    stored.generation != 0 && at.is_some_and(|at| at != stored.logouts)
}
