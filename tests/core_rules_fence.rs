//! The fence and generations as tables, on the host: a write lands only
//! over the record it read, generations of writes and logouts, and the
//! logout rule, with the count of logouts that outlives a new login.
#![cfg(not(target_arch = "wasm32"))]

use cross_tab_refresh::core::fence::{
    ended_since, fence, logged_out_since, next_generation, tombstone_generation, tombstone_logouts,
};
use cross_tab_refresh::core::record::MAX_GENERATION;
use cross_tab_refresh::core::{ErrorKind, SessionHash, StoredState};
use proptest::prelude::*;

fn state(hash: Option<u8>, generation: u64) -> StoredState {
    StoredState {
        hash: hash.map(|b| SessionHash::from_bytes(vec![b; 32])),
        generation,
        logouts: 0,
    }
}

#[test]
fn the_fence_lets_a_write_land_only_over_the_record_it_read() {
    assert_eq!(fence(&state(Some(1), 4), &state(Some(1), 4)).unwrap(), 5);
    assert_eq!(fence(&state(None, 0), &state(None, 0)).unwrap(), 1);
    // Another write since: a newer generation.
    let error = fence(&state(Some(1), 4), &state(Some(2), 5)).unwrap_err();
    assert!(matches!(
        error.kind(),
        ErrorKind::Fenced {
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

#[test]
fn the_count_of_logouts_outlives_a_new_login() {
    assert_eq!(tombstone_logouts(Some(0)), 1);
    assert_eq!(tombstone_logouts(Some(4)), 5);
    assert_eq!(tombstone_logouts(Some(u32::MAX)), 1);
    // Unreadable: the largest (as for generations).
    assert_eq!(tombstone_logouts(None), u32::MAX);
    let at = |hash: Option<u8>, generation, logouts| StoredState {
        logouts,
        ..state(hash, generation)
    };
    // Known at count 0; a new login after a logout: no tombstone, but
    // another count.
    assert!(ended_since(&at(Some(2), 5, 1), Some(0)));
    assert!(!logged_out_since(
        &at(Some(2), 5, 1),
        &at(Some(1), 3, 0),
        true
    ));
    // Refreshes carry the count on.
    assert!(!ended_since(&at(Some(2), 9, 0), Some(0)));
    // Nothing known: nothing ended.
    assert!(!ended_since(&at(Some(2), 5, 1), None));
    // Nothing stored (the database deleted) is no logout.
    assert!(!ended_since(&StoredState::default(), Some(1)));
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
