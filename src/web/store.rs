//! The session record in IndexedDB: one record per session, read and
//! written in single readwrite transactions that apply the core's fence and
//! tombstone rules, so a write commits only over the record its guard read.

use js_sys::Uint8Array;
use serde::ser::{Serialize, Serializer};
use wasm_bindgen::prelude::*;

use super::idb::{Connection, OBJECT_STORE};
use super::read_ahead::ReadAhead;
use super::record_fields::{Field, Fields, record_fields};
use super::record_io::{Change, RecordAt, Steps, read_value, update_value};
use crate::core::fence::{fence, tombstone_generation, tombstone_logouts};
use crate::core::record::{RECORD_FORMAT, RawField, RawRecord, decode, readable_generation};
use crate::core::{HashStore, RefreshError, SessionHash, StoredState};

/// The session hash of one session, in one IndexedDB database. Clones share
/// the connection.
#[derive(Clone)]
pub struct IdbHashStore {
    connection: Connection,
    at: RecordAt,
    ahead: ReadAhead,
}

impl IdbHashStore {
    /// The record of `session` over `connection`. Opens nothing yet.
    pub fn new(connection: Connection, session: String) -> Self {
        let at = RecordAt::new(OBJECT_STORE, &session);
        Self {
            ahead: ReadAhead::new(connection.clone(), at.clone()),
            connection,
            at,
        }
    }

    /// Reads of the record started ahead (by the Web Lock's grant): the
    /// [`HashStore::load_at_grant`] right after awaits it, if started, instead of reading
    /// (and reads anew if it failed: its connection closed meanwhile, say).
    pub(crate) fn read_ahead(&self) -> ReadAhead {
        self.ahead.clone()
    }

    /// The connection this store uses.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// Opens the database now (creating it if needed).
    pub async fn connect(&self) -> Result<(), RefreshError> {
        self.connection.database().await.map(drop)
    }

    /// Reads the record; `at_grant`: as the first read of a lock just
    /// granted, awaiting the read the grant started, if any.
    async fn read(&self, at_grant: bool) -> Result<StoredState, RefreshError> {
        // Taken before anything is awaited, and by any read: a read started
        // at a grant serves the first read after it, if that one is the
        // grant's, and no other.
        let ahead = self.ahead.take().filter(|_| at_grant);
        let database = self.connection.database().await?;
        let value = read_value(&database, &self.at, "reading the session record", ahead).await?;
        decode(&raw_or_absent(value))
    }

    /// In one readwrite transaction: reads the record, lets `write` decide
    /// what to store from it, writes that and commits. (`write` is boxed: a
    /// save and a logout share one transaction's code.)
    async fn update(&self, write: Write) -> Result<StoredState, RefreshError> {
        // A read started ahead of this write would be stale after it.
        self.ahead.take();
        let database = self.connection.database().await?;
        let decide = |value| {
            let state = write(&raw_or_absent(value))?;
            let record = Record {
                format: RECORD_FORMAT,
                hash: state.hash.clone(),
                // The core keeps generations at most 2^53 - 1: exact as a number.
                generation: state.generation as f64,
                logouts: state.logouts as f64,
            };
            Ok((Change::Put(record), state))
        };
        update_value(&database, &self.at, &STEPS, decide).await
    }
}

/// What a write stores, decided from the record read.
type Write = Box<dyn FnOnce(&RawRecord) -> Result<StoredState, RefreshError>>;

/// The steps of a write, as its errors name them.
const STEPS: Steps = Steps {
    start: "starting a transaction on the session record",
    read: "reading the session record",
    write: "writing the session record",
    delete: "deleting the session record",
    commit: "committing the session record",
};

impl HashStore for IdbHashStore {
    fn load(&self) -> impl Future<Output = Result<StoredState, RefreshError>> {
        self.read(false)
    }

    fn load_at_grant(&self) -> impl Future<Output = Result<StoredState, RefreshError>> {
        self.read(true)
    }

    fn store_if(
        &self,
        read: &StoredState,
        hash: &SessionHash,
    ) -> impl Future<Output = Result<StoredState, RefreshError>> {
        let (read, hash) = (read.clone(), hash.clone());
        self.update(Box::new(move |raw| {
            let generation = fence(&read, &decode(raw)?)?;
            Ok(StoredState {
                hash: Some(hash),
                generation,
                // The fence passed: the store holds `read`.
                logouts: read.logouts,
            })
        }))
    }

    fn tombstone(&self) -> impl Future<Output = Result<StoredState, RefreshError>> {
        self.update(Box::new(|raw| {
            Ok(StoredState {
                hash: None,
                generation: tombstone_generation(readable_generation(raw)),
                // Unreadable unless the whole record reads (as in memory).
                logouts: tombstone_logouts(decode(raw).ok().map(|state| state.logouts)),
            })
        }))
    }
}

/// The record as written: `{ format, hash, generation, logouts }`, the hash
/// as a `Uint8Array` or `null` after a logout, the numbers as numbers. A map,
/// not a derived struct (see `RECORD_SERIALIZER` in `record_fields.rs`).
struct Record {
    format: u32,
    hash: Option<SessionHash>,
    generation: f64,
    logouts: f64,
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let hash = self.hash.as_ref().map(SessionHash::as_bytes);
        Fields(&[
            ("format", Field::Number(self.format.into())),
            ("hash", Field::Bytes(hash)),
            ("generation", Field::Number(self.generation)),
            ("logouts", Field::Number(self.logouts)),
        ])
        .serialize(serializer)
    }
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
    let fields = record_fields(value, "format,hash,generation,logouts");
    let field = |index: u32| raw_field(&fields.get(index));
    RawRecord::Fields {
        format: field(0),
        hash: field(1),
        generation: field(2),
        logouts: field(3),
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
