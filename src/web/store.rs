//! The session hash in IndexedDB: one record per session, fenced writes in a
//! single readwrite transaction, and a connection that steps aside for any
//! other connection's upgrade or deletion.

use std::cell::RefCell;
use std::rc::Rc;

use indexed_db_futures::database::Database;
use indexed_db_futures::object_store::ObjectStore;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::{Transaction, TransactionMode};
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use super::global::store_error;
use crate::core::record::{RECORD_FORMAT, RawField, RawRecord, decode, next_generation};
use crate::core::{HashStore, RefreshError, SessionHash, StoredState};

/// The object store holding one record per session, keyed by session.
pub const OBJECT_STORE: &str = "sessions";
/// The object store holding the lease lock's leases, keyed by lock name.
pub const LEASE_STORE: &str = "leases";

/// The session hash of one session, in one IndexedDB database. Clones share
/// the connection.
#[derive(Clone)]
pub struct IdbHashStore {
    database_name: String,
    session: String,
    connection: Rc<RefCell<Option<Database>>>,
}

fn idb_error(step: &str, error: impl Into<JsValue>) -> RefreshError {
    store_error(step, error.into())
}

impl From<indexed_db_futures::error::Error> for JsFault {
    fn from(error: indexed_db_futures::error::Error) -> Self {
        use indexed_db_futures::error::{Error, JSError};
        Self(match error {
            Error::DomException(e) => e.as_ref().clone(),
            Error::Unknown(JSError::Error(e)) => e.into(),
            Error::Unknown(JSError::Unknown(v)) => v,
            // Formatting the crate's other errors would pull float formatting
            // into the .wasm; their kind is all a caller can act on.
            Error::Serialisation(_) => {
                js_sys::Error::new("a value could not be (de)serialised").into()
            }
            Error::MissingData(_) => {
                js_sys::Error::new("IndexedDB returned no data where some was expected").into()
            }
        })
    }
}

/// A JavaScript value standing for an IndexedDB failure.
struct JsFault(JsValue);

impl From<JsFault> for JsValue {
    fn from(fault: JsFault) -> Self {
        fault.0
    }
}

impl From<indexed_db_futures::error::OpenDbError> for JsFault {
    fn from(error: indexed_db_futures::error::OpenDbError) -> Self {
        use indexed_db_futures::error::OpenDbError;
        match error {
            OpenDbError::Base(e) => e.into(),
            // indexed_db_futures reports any exception thrown by
            // `indexedDB.open` as `VersionZero` (this crate never asks for
            // version 0) and drops the exception itself.
            OpenDbError::VersionZero => Self(
                js_sys::Error::new(
                    "indexedDB.open threw: storage is disabled or refused in this context",
                )
                .into(),
            ),
            OpenDbError::UnsupportedEnvironment | OpenDbError::NullFactory => {
                Self(js_sys::Error::new("indexedDB is not available in this context").into())
            }
        }
    }
}

fn fail<E: Into<JsFault>>(step: &'static str) -> impl FnOnce(E) -> RefreshError {
    move |error| idb_error(step, error.into())
}

impl IdbHashStore {
    /// The store of `session` in database `database_name`. Opens nothing yet.
    pub fn new(database_name: String, session: String) -> Self {
        Self {
            database_name,
            session,
            connection: Rc::new(RefCell::new(None)),
        }
    }

    /// Closes the connection, if open. The next use opens it again.
    pub fn close(&self) {
        if let Some(database) = self.connection.borrow_mut().take() {
            database.close();
        }
    }

    /// Opens the database now (creating it if needed).
    pub async fn connect(&self) -> Result<(), RefreshError> {
        self.database().await.map(drop)
    }

    /// The open connection, opening (and creating) the database if needed.
    /// A failed open is reported and retried on the next call.
    async fn database(&self) -> Result<Database, RefreshError> {
        if let Some(database) = self.connection.borrow().clone() {
            return Ok(database);
        }
        // Open at whatever version the database has (another connection may
        // have upgraded it); create the object store on first use.
        let mut database = Database::open(self.database_name.as_str())
            .with_on_upgrade_needed(create_object_store)
            .await
            .map_err(fail("opening the database"))?;
        if !has_object_store(&database) {
            // An existing database of that name without our store: add it.
            let version = database.version() + 1.0;
            database.close();
            database = Database::open(self.database_name.as_str())
                .with_version(version)
                .with_on_upgrade_needed(create_object_store)
                .await
                .map_err(fail("upgrading the database"))?;
        }
        self.step_aside_on_version_change(&database);
        *self.connection.borrow_mut() = Some(database.clone());
        Ok(database)
    }

    /// Never block another connection's upgrade or deletion: close on
    /// `versionchange`, and forget the connection so the next use reopens.
    fn step_aside_on_version_change(&self, database: &Database) {
        let Ok(mut listener) = database.version_changes() else {
            return;
        };
        let connection = Rc::downgrade(&self.connection);
        wasm_bindgen_futures::spawn_local(async move {
            let changed = listener.recv().await.is_some();
            if let Some(connection) = connection.upgrade() {
                let mut slot = connection.borrow_mut();
                if slot
                    .as_ref()
                    .is_some_and(|open| open.name() == listener.db().name())
                {
                    slot.take();
                }
            }
            if changed {
                listener.db().clone().close();
            }
        });
    }

    async fn read_raw(&self, store: &ObjectStore<'_>) -> Result<RawRecord, RefreshError> {
        let value = get_value(store, &self.session, "reading the session record").await?;
        Ok(value.map_or(RawRecord::Absent, |value| raw_record(&value)))
    }

    /// Queues the write of `hash` with `generation` in the transaction of
    /// `store`; the caller commits.
    fn put(
        &self,
        store: &ObjectStore<'_>,
        hash: Option<&SessionHash>,
        generation: u64,
    ) -> Result<(), RefreshError> {
        store
            .put(encode(hash, generation))
            .with_key(self.session.as_str())
            .primitive()
            .map(drop)
            .map_err(fail("writing the session record"))
    }
}

/// What a lease operation does to the lease record of a lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaseOp {
    /// Take the lease if free, expired or ours (or always, with `steal`).
    Take {
        /// Take it even from a live holder.
        steal: bool,
    },
    /// Extend the lease if it is still ours.
    Renew,
}

impl IdbHashStore {
    /// Takes or renews the lease `name` for `holder` until `now_ms +
    /// lease_ms`, in one readwrite transaction. Returns whether it holds it.
    pub async fn lease(
        &self,
        name: &str,
        holder: &str,
        op: LeaseOp,
        now_ms: f64,
        lease_ms: u32,
    ) -> Result<bool, RefreshError> {
        let database = self.database().await?;
        let transaction = begin(&database, LEASE_STORE, TransactionMode::Readwrite)?;
        let store = object_store(&transaction, LEASE_STORE)?;
        let current = get_value(&store, name, "reading the lease").await?;
        let field = |key: &str| {
            current
                .as_ref()
                .and_then(|lease| Reflect::get(lease, &JsValue::from_str(key)).ok())
        };
        let ours = field("holder").and_then(|h| h.as_string()).as_deref() == Some(holder);
        // A record that cannot be read counts as expired.
        let expired = field("expiresAt")
            .and_then(|t| t.as_f64())
            .is_none_or(|expires_at| expires_at <= now_ms);
        let take = match op {
            LeaseOp::Take { steal } => steal || ours || expired,
            LeaseOp::Renew => ours,
        };
        if !take {
            return Ok(false);
        }
        let lease = Object::new();
        let _ = Reflect::set(&lease, &"holder".into(), &JsValue::from_str(holder));
        let _ = Reflect::set(
            &lease,
            &"expiresAt".into(),
            &JsValue::from(now_ms + f64::from(lease_ms)),
        );
        store
            .put(JsValue::from(lease))
            .with_key(name)
            .primitive()
            .map(drop)
            .map_err(fail("writing the lease"))?;
        drop(store);
        commit(transaction, "committing the lease").await?;
        Ok(true)
    }

    /// The lease record of `name`: its holder and expiry, if readable.
    pub async fn lease_record(&self, name: &str) -> Result<Option<(String, f64)>, RefreshError> {
        let database = self.database().await?;
        let transaction = begin(&database, LEASE_STORE, TransactionMode::Readonly)?;
        let store = object_store(&transaction, LEASE_STORE)?;
        let current = get_value(&store, name, "reading the lease").await?;
        Ok(current.and_then(|lease| {
            let holder = Reflect::get(&lease, &"holder".into()).ok()?.as_string()?;
            let expires_at = Reflect::get(&lease, &"expiresAt".into()).ok()?.as_f64()?;
            Some((holder, expires_at))
        }))
    }

    /// Deletes the lease `name` if `holder` still holds it.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<(), RefreshError> {
        let database = self.database().await?;
        let transaction = begin(&database, LEASE_STORE, TransactionMode::Readwrite)?;
        let store = object_store(&transaction, LEASE_STORE)?;
        let current = get_value(&store, name, "reading the lease").await?;
        let ours = current
            .and_then(|lease| Reflect::get(&lease, &"holder".into()).ok())
            .and_then(|h| h.as_string())
            .as_deref()
            == Some(holder);
        if ours {
            store
                .delete(name)
                .primitive()
                .map(drop)
                .map_err(fail("deleting the lease"))?;
            drop(store);
            commit(transaction, "committing the lease").await?;
        }
        Ok(())
    }
}

impl HashStore for IdbHashStore {
    async fn load(&self) -> Result<StoredState, RefreshError> {
        let database = self.database().await?;
        let transaction = begin(&database, OBJECT_STORE, TransactionMode::Readonly)?;
        let store = object_store(&transaction, OBJECT_STORE)?;
        decode(&self.read_raw(&store).await?)
    }

    async fn store_if(&self, expected: u64, hash: &SessionHash) -> Result<u64, RefreshError> {
        let database = self.database().await?;
        let transaction = begin(&database, OBJECT_STORE, TransactionMode::Readwrite)?;
        let store = object_store(&transaction, OBJECT_STORE)?;
        let found = decode(&self.read_raw(&store).await?)?.generation;
        if found != expected {
            // Dropping the transaction uncommitted rolls it back: nothing written.
            return Err(RefreshError::Fenced { expected, found });
        }
        let generation = expected + 1;
        self.put(&store, Some(hash), generation)?;
        drop(store);
        commit(transaction, "committing the session record").await?;
        Ok(generation)
    }

    async fn tombstone(&self) -> Result<u64, RefreshError> {
        let database = self.database().await?;
        let transaction = begin(&database, OBJECT_STORE, TransactionMode::Readwrite)?;
        let store = object_store(&transaction, OBJECT_STORE)?;
        let generation = next_generation(&self.read_raw(&store).await?)?;
        self.put(&store, None, generation)?;
        drop(store);
        commit(transaction, "committing the session record").await?;
        Ok(generation)
    }
}

/// A transaction on `store_name`.
fn begin<'a>(
    database: &'a Database,
    store_name: &'static str,
    mode: TransactionMode,
) -> Result<Transaction<'a>, RefreshError> {
    database
        .transaction(store_name)
        .with_mode(mode)
        .build()
        .map_err(fail("starting a transaction"))
}

/// The object store `name` of `transaction`.
fn object_store<'a>(
    transaction: &'a Transaction<'_>,
    name: &str,
) -> Result<ObjectStore<'a>, RefreshError> {
    transaction
        .object_store(name)
        .map_err(fail("opening the object store"))
}

/// The value stored under `key`, if any.
async fn get_value(
    store: &ObjectStore<'_>,
    key: &str,
    step: &'static str,
) -> Result<Option<JsValue>, RefreshError> {
    store
        .get(key)
        .primitive()
        .map_err(fail(step))?
        .await
        .map_err(fail(step))
}

/// Commits `transaction` (indexed_db_futures rolls back what is not committed).
async fn commit(transaction: Transaction<'_>, step: &'static str) -> Result<(), RefreshError> {
    transaction.commit().await.map_err(fail(step))
}

fn has_object_store(database: &Database) -> bool {
    let names: Vec<String> = database.object_store_names().collect();
    [OBJECT_STORE, LEASE_STORE]
        .iter()
        .all(|store| names.iter().any(|name| name == store))
}

fn create_object_store(
    _: indexed_db_futures::database::VersionChangeEvent,
    database: Database,
) -> indexed_db_futures::Result<()> {
    let names: Vec<String> = database.object_store_names().collect();
    for store in [OBJECT_STORE, LEASE_STORE] {
        if !names.iter().any(|name| name == store) {
            database.create_object_store(store).build()?;
        }
    }
    Ok(())
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
