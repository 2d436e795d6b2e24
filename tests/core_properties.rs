//! Property tests and test vectors of the session hash and the mismatch rule.
#![cfg(not(target_arch = "wasm32"))]

use cross_tab_refresh::core::{SessionHash, SessionTokens, is_mismatch};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::from("0x");
    for byte in digest.iter() {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

#[test]
fn hash_of_access_and_refresh_is_sha256_of_their_concatenation() {
    let tokens = SessionTokens::new("a", Some("b".to_owned()));
    assert_eq!(SessionHash::of(&tokens).to_hex(), sha256_hex(b"ab"));
    // Known vector: SHA-256("ab").
    assert_eq!(
        SessionHash::of(&tokens).to_hex(),
        "0xfb8e20fc2e4c3f248c60c39bd652f3c1347298bb977b8b4d5903b85055620603"
    );
}

#[test]
fn hash_without_refresh_token_is_sha256_of_access_token() {
    let tokens = SessionTokens::new("access", None);
    assert_eq!(SessionHash::of(&tokens).to_hex(), sha256_hex(b"access"));
    // Known vector: SHA-256("abc").
    assert_eq!(
        SessionHash::of(&SessionTokens::new("abc", None)).to_hex(),
        "0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn non_ascii_tokens_hash_as_utf8() {
    let tokens = SessionTokens::new("clé", Some("🔑".to_owned()));
    assert_eq!(
        SessionHash::of(&tokens).to_hex(),
        sha256_hex("clé🔑".as_bytes())
    );
}

#[test]
fn debug_never_shows_tokens() {
    let tokens = SessionTokens::new("secret-access", Some("secret-refresh".to_owned()));
    let shown = format!("{tokens:?}");
    assert!(!shown.contains("secret"), "{shown}");
    assert!(shown.contains(&SessionHash::of(&tokens).to_hex()));
}

#[test]
fn mismatch_rule_truth_table() {
    let a = SessionHash::from_bytes(vec![1]);
    let b = SessionHash::from_bytes(vec![2]);
    assert!(!is_mismatch(None, None));
    assert!(!is_mismatch(None, Some(&a)));
    assert!(is_mismatch(Some(&a), None));
    assert!(!is_mismatch(Some(&a), Some(&a)));
    assert!(is_mismatch(Some(&a), Some(&b)));
}

fn arb_hash() -> impl Strategy<Value = Option<SessionHash>> {
    proptest::option::of(
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(SessionHash::from_bytes),
    )
}

proptest! {
    #[test]
    fn to_hex_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
        let hex = SessionHash::from_bytes(bytes.clone()).to_hex();
        if bytes.is_empty() {
            prop_assert_eq!(hex, "");
        } else {
            prop_assert!(hex.starts_with("0x"));
            prop_assert_eq!(hex.len(), 2 + 2 * bytes.len());
            prop_assert!(hex[2..].chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)));
            let decoded: Vec<u8> = (2..hex.len()).step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            prop_assert_eq!(decoded, bytes);
        }
    }

    #[test]
    fn mismatch_is_stored_and_different(stored in arb_hash(), known in arb_hash()) {
        let expected = match (&stored, &known) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(s), Some(k)) => s != k,
        };
        prop_assert_eq!(is_mismatch(stored.as_ref(), known.as_ref()), expected);
    }

    #[test]
    fn hash_matches_reference(access in ".*", refresh in proptest::option::of(".*")) {
        let mut bytes = access.as_bytes().to_vec();
        if let Some(r) = &refresh { bytes.extend_from_slice(r.as_bytes()); }
        let tokens = SessionTokens::new(access, refresh);
        prop_assert_eq!(SessionHash::of(&tokens).to_hex(), sha256_hex(&bytes));
    }
}

fn arb_field() -> impl Strategy<Value = cross_tab_refresh::core::record::RawField> {
    use cross_tab_refresh::core::record::RawField;
    prop_oneof![
        Just(RawField::Missing),
        Just(RawField::Null),
        any::<f64>().prop_map(RawField::Number),
        (-5i64..5).prop_map(|n| RawField::Number(n as f64)),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(RawField::Bytes),
        Just(RawField::Bytes(vec![7; 32])),
        "[a-z]{1,8}".prop_map(RawField::Other),
    ]
}

proptest! {
    /// Any stored record either reads as a state or is an
    /// InvalidPreviousHashError; nothing panics, and a logout can always
    /// replace it with another generation.
    #[test]
    fn arbitrary_records_never_panic(format in arb_field(), hash in arb_field(), generation in arb_field(), logouts in arb_field(), not_object in proptest::option::of("[a-z]{1,8}")) {
        use cross_tab_refresh::core::fence::{tombstone_generation, tombstone_logouts};
        use cross_tab_refresh::core::record::{RawRecord, decode, readable_generation};
        let raw = match not_object {
            Some(kind) => RawRecord::NotAnObject(kind),
            None => RawRecord::Fields { format, hash, generation, logouts },
        };
        match decode(&raw) {
            Ok(state) => {
                prop_assert!(state.generation >= 1);
                prop_assert!(state.hash.as_ref().is_none_or(|h| h.as_bytes().len() == 32));
                prop_assert_eq!(readable_generation(&raw), Some(state.generation));
                prop_assert_ne!(tombstone_generation(readable_generation(&raw)), state.generation);
                prop_assert_ne!(tombstone_logouts(Some(state.logouts)), state.logouts);
            }
            Err(error) => {
                prop_assert_eq!(error.name(), "InvalidPreviousHashError");
                prop_assert!(error.to_string().contains("logging out replaces it"));
                // A logout replaces it with a generation no guard read: not
                // the one it holds, if that can be read; else the largest.
                let readable = readable_generation(&raw);
                let tombstone = tombstone_generation(readable);
                prop_assert!(tombstone >= 1);
                match readable {
                    Some(generation) => prop_assert_ne!(tombstone, generation),
                    None => prop_assert_eq!(tombstone, cross_tab_refresh::core::record::MAX_GENERATION),
                }
            }
        }
    }

    /// Every well-formed record (format 1, a 32-byte hash or null, a whole
    /// generation from 1 to 2^53 − 1, a whole count of logouts or none)
    /// reads as exactly its state. (Random fields rarely make one.)
    #[test]
    fn well_formed_records_read_as_their_state(
        hash in proptest::option::of(proptest::collection::vec(any::<u8>(), 32)),
        generation in 1u64..=cross_tab_refresh::core::record::MAX_GENERATION,
        logouts in proptest::option::of(any::<u32>()),
    ) {
        use cross_tab_refresh::core::record::{RawField, RawRecord, decode};
        let raw = RawRecord::Fields {
            format: RawField::Number(1.0),
            hash: hash.clone().map_or(RawField::Null, RawField::Bytes),
            generation: RawField::Number(generation as f64),
            logouts: logouts.map_or(RawField::Missing, |n| RawField::Number(f64::from(n))),
        };
        let state = decode(&raw).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(state.hash.map(|h| h.as_bytes().to_vec()), hash);
        prop_assert_eq!(state.generation, generation);
        prop_assert_eq!(state.logouts, logouts.unwrap_or(0));
    }

    /// Arbitrary token bytes (as the UTF-8 the browser hands over) hash like SHA-256 of their concatenation.
    #[test]
    fn arbitrary_tokens_hash_without_panicking(access in any::<String>(), refresh in proptest::option::of(any::<String>())) {
        let tokens = SessionTokens::new(access.clone(), refresh.clone());
        let hex = SessionHash::of(&tokens).to_hex();
        prop_assert_eq!(hex.len(), 66);
        let mut bytes = access.into_bytes();
        bytes.extend(refresh.unwrap_or_default().into_bytes());
        prop_assert_eq!(hex, sha256_hex(&bytes));
    }
}

proptest! {
    /// A name's length is counted in UTF-16 units (as JavaScript's `length`),
    /// for any characters, around the limit.
    #[test]
    fn names_are_measured_in_utf16_units(chars in proptest::collection::vec(any::<char>(), 0..1100)) {
        use cross_tab_refresh::core::options::{MAX_NAME_LEN, name};
        let text: String = chars.into_iter().collect();
        let units = text.encode_utf16().count();
        match name("options", "session", text.clone()) {
            Ok(accepted) => {
                prop_assert_eq!(accepted, text);
                prop_assert!((1..=MAX_NAME_LEN).contains(&units));
            }
            Err(error) => {
                prop_assert!(units == 0 || units > MAX_NAME_LEN);
                if units > MAX_NAME_LEN {
                    let is = format!(" is {units} characters long");
                    prop_assert!(error.to_string().contains(&is), "{}", error);
                }
            }
        }
    }
}
