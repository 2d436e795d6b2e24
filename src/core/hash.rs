//! Session tokens, their SHA-256 hash, and the mismatch rule.

use std::rc::Rc;

use sha2::{Digest as _, Sha256};

/// Length in bytes of a [`SessionHash`] computed by this crate (SHA-256).
pub const SESSION_HASH_LEN: usize = 32;

/// An OAuth 2.0 access token and, if the server issued one, a refresh token.
///
/// Tokens are secrets: this type has no `Debug` that shows them, and the crate
/// never stores, logs or broadcasts them; only their [`SessionHash`] leaves memory.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionTokens {
    /// The access token.
    pub access_token: String,
    /// The refresh token, if any.
    pub refresh_token: Option<String>,
}

impl SessionTokens {
    /// Tokens from an access token and an optional refresh token.
    pub fn new(access_token: impl Into<String>, refresh_token: Option<String>) -> Self {
        Self {
            access_token: access_token.into(),
            refresh_token,
        }
    }
}

impl std::fmt::Debug for SessionTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionTokens")
            .field("hash", &SessionHash::of(self))
            .finish_non_exhaustive()
    }
}

/// A value that identifies one pair of session tokens: SHA-256 of the access
/// token's UTF-8 bytes followed by the refresh token's, if there is one.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionHash(Rc<Vec<u8>>);

impl SessionHash {
    /// The hash of `tokens`, computed as matrix-rust-sdk computes it.
    pub fn of(tokens: &SessionTokens) -> Self {
        let mut hash = Sha256::new().chain_update(tokens.access_token.as_bytes());
        if let Some(refresh_token) = &tokens.refresh_token {
            hash = hash.chain_update(refresh_token.as_bytes());
        }
        Self(Rc::new(hash.finalize().to_vec()))
    }

    /// A hash from raw bytes (as read back from a store).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(Rc::new(bytes))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// `""` for no bytes, else `0x` followed by two lowercase hex digits per
    /// byte, high nibble first (the seed's format).
    pub fn to_hex(&self) -> String {
        const CHARS: &[u8; 16] = b"0123456789abcdef";
        let mut res = String::with_capacity(2 * self.0.len() + 2);
        if !self.0.is_empty() {
            res.push_str("0x");
        }
        for &byte in self.0.iter() {
            res.push(CHARS[usize::from(byte >> 4)] as char);
            res.push(CHARS[usize::from(byte & 0x0f)] as char);
        }
        res
    }
}

impl std::fmt::Debug for SessionHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SessionHash").field(&self.to_hex()).finish()
    }
}

/// The seed's mismatch rule: another context refreshed if the store holds a
/// hash that is not the one this context knows. An empty store is never a
/// mismatch; a stored hash with nothing known always is.
pub fn is_mismatch(stored: Option<&SessionHash>, known: Option<&SessionHash>) -> bool {
    stored.is_some() && stored != known
}

impl AsRef<SessionTokens> for SessionTokens {
    fn as_ref(&self) -> &SessionTokens {
        self
    }
}
