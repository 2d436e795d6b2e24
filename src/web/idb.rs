//! One manager's IndexedDB connection, shared by the session record and the
//! lease record: opened on first use, stepping aside for any other
//! connection's upgrade or deletion, and never reopened once closed.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

use indexed_db_futures::database::Database;
use indexed_db_futures::object_store::ObjectStore;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::{Transaction, TransactionMode};
use wasm_bindgen::prelude::*;

use super::global::store_error;
use crate::core::RefreshError;

/// The object store holding one record per session, keyed by session.
pub const OBJECT_STORE: &str = "sessions";
/// The object store holding the lease lock's leases, keyed by lock name.
pub const LEASE_STORE: &str = "leases";

/// A JavaScript value standing for an IndexedDB failure.
pub struct JsFault(JsValue);

impl From<JsFault> for JsValue {
    fn from(fault: JsFault) -> Self {
        fault.0
    }
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

/// Maps an IndexedDB failure of `step` to a `StoreError`.
pub fn fail<E: Into<JsFault>>(step: &'static str) -> impl FnOnce(E) -> RefreshError {
    move |error| store_error(step, error.into().into())
}

#[derive(Default)]
struct State {
    open: RefCell<Option<Database>>,
    closed: Cell<bool>,
}

/// The connection to one database. Clones share it.
#[derive(Clone)]
pub struct Connection {
    name: Rc<str>,
    state: Rc<State>,
}

impl Connection {
    /// The connection to database `name`. Opens nothing yet.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.into(),
            state: Rc::default(),
        }
    }

    /// Refuses every later use ([`RefreshError::Closed`]), runs `last` (the
    /// manager's own cleanup, on the still open connection), then closes it.
    pub fn close_after<F: Future<Output = ()> + 'static>(&self, last: impl FnOnce(Database) -> F) {
        if self.state.closed.replace(true) {
            return;
        }
        let Some(database) = self.state.open.borrow_mut().take() else {
            return;
        };
        let cleanup = last(database.clone());
        wasm_bindgen_futures::spawn_local(async move {
            cleanup.await;
            database.close();
        });
    }

    /// The open connection, opening (and creating) the database if needed.
    /// A failed open is reported and retried on the next call.
    pub async fn database(&self) -> Result<Database, RefreshError> {
        if self.state.closed.get() {
            return Err(RefreshError::Closed);
        }
        if let Some(database) = self.state.open.borrow().clone() {
            return Ok(database);
        }
        // Open at whatever version the database has (another connection may
        // have upgraded it); create the object stores on first use.
        let mut database = Database::open(&*self.name)
            .with_on_upgrade_needed(create_object_stores)
            .await
            .map_err(fail("opening the database"))?;
        if !has_object_stores(&database) {
            // An existing database of that name without our stores: add them.
            let version = database.version() + 1.0;
            database.close();
            database = Database::open(&*self.name)
                .with_version(version)
                .with_on_upgrade_needed(create_object_stores)
                .await
                .map_err(fail("upgrading the database"))?;
        }
        if self.state.closed.get() {
            // Closed while opening: open nothing.
            database.close();
            return Err(RefreshError::Closed);
        }
        self.step_aside_on_version_change(&database);
        *self.state.open.borrow_mut() = Some(database.clone());
        Ok(database)
    }

    /// Never block another connection's upgrade or deletion: close on
    /// `versionchange`, and forget the connection so the next use reopens.
    fn step_aside_on_version_change(&self, database: &Database) {
        let Ok(mut listener) = database.version_changes() else {
            return;
        };
        let state = Rc::downgrade(&self.state);
        wasm_bindgen_futures::spawn_local(async move {
            let changed = listener.recv().await.is_some();
            if let Some(state) = state.upgrade() {
                let mut slot = state.open.borrow_mut();
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
}

/// A transaction on `store_name`.
pub fn begin<'a>(
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
pub fn object_store<'a>(
    transaction: &'a Transaction<'_>,
    name: &str,
) -> Result<ObjectStore<'a>, RefreshError> {
    transaction
        .object_store(name)
        .map_err(fail("opening the object store"))
}

/// The value stored under `key`, if any.
pub async fn get_value(
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

/// Queues `value` under `key` in the transaction of `store`.
pub fn put_value(
    store: &ObjectStore<'_>,
    key: &str,
    value: JsValue,
    step: &'static str,
) -> Result<(), RefreshError> {
    store
        .put(value)
        .with_key(key)
        .primitive()
        .map(drop)
        .map_err(fail(step))
}

/// Commits `transaction` (indexed_db_futures rolls back what is not committed).
pub async fn commit(transaction: Transaction<'_>, step: &'static str) -> Result<(), RefreshError> {
    transaction.commit().await.map_err(fail(step))
}

fn has_object_stores(database: &Database) -> bool {
    let names: Vec<String> = database.object_store_names().collect();
    [OBJECT_STORE, LEASE_STORE]
        .iter()
        .all(|store| names.iter().any(|name| name == store))
}

fn create_object_stores(
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
