//! The session record in IndexedDB: one record per session, read and
//! written in single readwrite transactions that apply the core's fence and
//! tombstone rules, so a write commits only over the record its guard read.

use indexed_db_futures::object_store::ObjectStore;
use indexed_db_futures::transaction::TransactionMode;
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use super::idb::{
    Connection, OBJECT_STORE, begin, commit, get_value, object_store, put_value, read_value,
};
use crate::core::fence::{fence, tombstone_generation};
use crate::core::record::{RECORD_FORMAT, RawField, RawRecord, decode, readable_generation};
use crate::core::{HashStore, RefreshError, SessionHash, StoredState};

/// The session hash of one session, in one IndexedDB database. Clones share
/// the connection.
#[derive(Clone)]
pub struct IdbHashStore {
    connection: Connection,
    session: String,
}

impl IdbHashStore {
    /// The record of `session` over `connection`. Opens nothing yet.
    pub fn new(connection: Connection, session: String) -> Self {
        Self {
            connection,
            session,
        }
    }

    /// The connection this store uses.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// Opens the database now (creating it if needed).
    pub async fn connect(&self) -> Result<(), RefreshError> {
        self.connection.database().await.map(drop)
    }

    async fn read_raw(&self, store: &ObjectStore<'_>) -> Result<RawRecord, RefreshError> {
        let value = get_value(store, &self.session, "reading the session record").await?;
        Ok(raw_or_absent(value))
    }

    /// In one readwrite transaction: reads the record, lets `write` decide
    /// what to store from it, writes that and commits.
    async fn update(
        &self,
        write: impl FnOnce(&RawRecord) -> Result<StoredState, RefreshError>,
    ) -> Result<StoredState, RefreshError> {
        let database = self.connection.database().await?;
        let transaction = begin(&database, OBJECT_STORE, TransactionMode::Readwrite)?;
        let store = object_store(&transaction, OBJECT_STORE)?;
        // On an error, the transaction is dropped uncommitted: nothing written.
        let state = write(&self.read_raw(&store).await?)?;
        let record = encode(state.hash.as_ref(), state.generation);
        put_value(&store, &self.session, record, "writing the session record")?;
        drop(store);
        commit(transaction, "committing the session record").await?;
        Ok(state)
    }
}

impl HashStore for IdbHashStore {
    async fn load(&self) -> Result<StoredState, RefreshError> {
        let database = self.connection.database().await?;
        let value = read_value(
            &database,
            OBJECT_STORE,
            &self.session,
            "reading the session record",
        )
        .await?;
        decode(&raw_or_absent(value))
    }

    async fn store_if(
        &self,
        read: &StoredState,
        hash: &SessionHash,
    ) -> Result<StoredState, RefreshError> {
        self.update(|raw| {
            let generation = fence(read, &decode(raw)?)?;
            Ok(StoredState {
                hash: Some(hash.clone()),
                generation,
            })
        })
        .await
    }

    async fn tombstone(&self) -> Result<StoredState, RefreshError> {
        self.update(|raw| {
            Ok(StoredState {
                hash: None,
                generation: tombstone_generation(readable_generation(raw)),
            })
        })
        .await
    }
}

/// The record written for `hash` at `generation`.
fn encode(hash: Option<&SessionHash>, generation: u64) -> JsValue {
    let record = Object::new();
    let hash = hash.map_or(JsValue::NULL, |hash| {
        Uint8Array::from(hash.as_bytes()).into()
    });
    for (key, value) in [
        ("format", JsValue::from(RECORD_FORMAT)),
        ("hash", hash),
        // Generations stay below 2^53, so the conversion is exact.
        ("generation", JsValue::from(generation as f64)),
    ] {
        let _ = Reflect::set(&record, &JsValue::from_str(key), &value);
    }
    record.into()
}

/// A value read, or its absence, in the core's untrusted form.
fn raw_or_absent(value: Option<JsValue>) -> RawRecord {
    value.map_or(RawRecord::Absent, |value| raw_record(&value))
}

/// Reads a stored value into the core's untrusted form.
pub fn raw_record(value: &JsValue) -> RawRecord {
    if !value.is_object() {
        return RawRecord::NotAnObject(type_name(value));
    }
    let field =
        |key: &str| raw_field(&Reflect::get(value, &JsValue::from_str(key)).unwrap_or_default());
    RawRecord::Fields {
        format: field("format"),
        hash: field("hash"),
        generation: field("generation"),
    }
}

fn raw_field(value: &JsValue) -> RawField {
    if value.is_undefined() {
        RawField::Missing
    } else if value.is_null() {
        RawField::Null
    } else if let Some(number) = value.as_f64() {
        RawField::Number(number)
    } else if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
        RawField::Bytes(bytes.to_vec())
    } else if let Some(buffer) = value.dyn_ref::<js_sys::ArrayBuffer>() {
        RawField::Bytes(Uint8Array::new(buffer).to_vec())
    } else {
        RawField::Other(type_name(value))
    }
}

fn type_name(value: &JsValue) -> String {
    value
        .js_typeof()
        .as_string()
        .unwrap_or_else(|| "value".to_owned())
}
