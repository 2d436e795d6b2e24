//! The values the floor hands to and takes from JS: a token read from the
//! caller's object, its SHA-256 hash, the hash as hex, the stored record.

use js_sys::Reflect;
use serde::ser::{Serialize, SerializeMap, Serializer};
use sha2::{Digest, Sha256};
use wasm_bindgen::prelude::*;

use crate::FloorError;

pub(crate) fn string(value: &JsValue, key: &'static str) -> Result<String, FloorError> {
    Reflect::get(value, &JsValue::from_str(key))
        .ok()
        .and_then(|field| field.as_string())
        .ok_or(FloorError::Missing(key))
}

pub(crate) fn hash(tokens: &JsValue) -> Result<[u8; 32], FloorError> {
    Ok(Sha256::digest(string(tokens, "accessToken")?.as_bytes()).into())
}

pub(crate) fn hex(hash: Option<[u8; 32]>) -> JsValue {
    hash.map_or(JsValue::NULL, |hash| {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut text = String::from("0x");
        for byte in hash {
            text.push(char::from(DIGITS[usize::from(byte >> 4)]));
            text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
        }
        JsValue::from_str(&text)
    })
}

struct Record(Option<[u8; 32]>, u64);

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("format", &1u8)?;
        map.serialize_entry("hash", &self.0.map(Bytes))?;
        map.serialize_entry("generation", &self.1)?;
        map.end()
    }
}

/// The hash written as bytes (a `Uint8Array`), as the library writes it.
struct Bytes([u8; 32]);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

pub(crate) fn record(hash: Option<[u8; 32]>, generation: u64) -> JsValue {
    let serializer = serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true);
    Record(hash, generation)
        .serialize(&serializer)
        .unwrap_or_default()
}
