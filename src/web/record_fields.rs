//! How a record's fields cross between Rust and JS: read out of a stored
//! value by name in one call, written as a map through serde-wasm-bindgen.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/web/idb.js")]
extern "C" {
    /// The fields `keys` (joined by ",") of a stored value, in that order;
    /// one whose getter throws reads as `undefined` (see `idb.js`).
    #[wasm_bindgen(js_name = recordFields)]
    pub fn record_fields(value: &JsValue, keys: &str) -> js_sys::Array;
}

/// How records are written: maps as plain objects, `None` as `null`, bytes
/// as a `Uint8Array`.
///
/// Records implement `Serialize` as maps, not by `#[derive]`: serde-wasm-bindgen
/// turns a derived struct's field names into JS strings through a cache (a
/// `HashMap` of its own) that costs 1.1 KiB gzipped, for records of three or four
/// fields written once per save.
pub(super) const RECORD_SERIALIZER: serde_wasm_bindgen::Serializer =
    serde_wasm_bindgen::Serializer::new()
        .serialize_missing_as_null(true)
        .serialize_maps_as_objects(true);

/// A field of a record as written. Every field of every record is written
/// as this one type, so serde-wasm-bindgen's writer of a map's value is
/// compiled once for all of them, not once per field type.
pub enum Field<'a> {
    /// A number.
    Number(f64),
    /// A string.
    Text(&'a str),
    /// Bytes (a `Uint8Array`), or `null`.
    Bytes(Option<&'a [u8]>),
}

/// A record as written: a map of its fields, in order. Every record is
/// written through this one type, so its map writing is compiled once.
pub struct Fields<'a>(pub &'a [(&'static str, Field<'a>)]);

impl serde::Serialize for Fields<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl serde::Serialize for Field<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match *self {
            Self::Number(number) => serializer.serialize_f64(number),
            Self::Text(text) => serializer.serialize_str(text),
            Self::Bytes(Some(bytes)) => serializer.serialize_bytes(bytes),
            Self::Bytes(None) => serializer.serialize_none(),
        }
    }
}
