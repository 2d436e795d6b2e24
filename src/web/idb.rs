//! One manager's IndexedDB connection, shared by the session record and the
//! lease record: opened on first use, stepping aside for any other
//! connection's upgrade or deletion, opened anew after the browser closed
//! it, and never reopened once closed.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use indexed_db_futures::factory::DBFactory;
use indexed_db_futures::internals::SystemRepr;
use wasm_bindgen::prelude::*;

use super::global::store_error;
use super::task::Settled;
use crate::core::{ErrorKind, RefreshError};

#[wasm_bindgen(module = "/src/web/idb.js")]
extern "C" {
    #[wasm_bindgen(js_name = createStores)]
    fn create_stores(name: &str, version: f64, sessions: &str, leases: &str) -> js_sys::Promise;

    #[wasm_bindgen(js_name = stillBlocked)]
    fn still_blocked(name: &str) -> Option<js_sys::Error>;

    #[wasm_bindgen(js_name = hasStores)]
    fn has_stores(database: &JsValue, sessions: &str, leases: &str) -> bool;

    #[wasm_bindgen(js_name = openDatabase)]
    fn open_database(factory: &web_sys::IdbFactory, name: &str) -> js_sys::Promise;

    #[wasm_bindgen(js_name = closeOnceOpen)]
    fn close_once_open(open: &js_sys::Promise);

    /// Whether this scope has an `indexedDB` (one that throws when read is
    /// none).
    #[wasm_bindgen(js_name = hasIndexedDB)]
    pub fn has_indexed_db() -> bool;

    /// What reading `indexedDB` throws, else an `Error` saying this scope
    /// has none.
    #[wasm_bindgen(js_name = indexedDBFailure)]
    fn indexed_db_failure() -> JsValue;

    #[wasm_bindgen(js_name = stepAside)]
    fn step_aside(database: &JsValue, then: &Closure<dyn FnMut()>);
}

/// An open connection to the database.
pub type Database = web_sys::IdbDatabase;

/// The object store holding one record per session, keyed by session.
pub const OBJECT_STORE: &str = "sessions";
/// The object store holding the lease lock's leases, keyed by lock name.
pub const LEASE_STORE: &str = "leases";

#[derive(Default)]
struct State {
    open: RefCell<Option<Database>>,
    closed: Cell<bool>,
    on_closing: RefCell<Option<Closure<dyn FnMut()>>>,
}

impl Drop for State {
    /// A manager dropped without `close()` (garbage-collected, say) leaves
    /// no connection open, nor one whose step-aside listener calls into its
    /// freed handler at the next upgrade.
    fn drop(&mut self) {
        if let Some(database) = self.open.get_mut().take() {
            database.close();
        }
    }
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

    /// Opens nothing any more: a use while the connection is open still
    /// gets it, any other fails with [`ErrorKind::Closed`].
    pub fn refuse_opens(&self) {
        self.state.closed.set(true);
    }

    /// Refuses every later use ([`ErrorKind::Closed`]), then closes the
    /// connection. (IndexedDB lets transactions already started finish.)
    pub fn close(&self) {
        self.refuse_opens();
        if let Some(database) = self.state.open.borrow_mut().take() {
            database.close();
        }
    }

    /// The connection if it is open now and opens are not refused (opens
    /// nothing). Unlike [`database`](Self::database), it gives nothing once
    /// opens are refused (`close()` began): no read is started ahead then.
    pub fn open_now(&self) -> Option<Database> {
        if self.state.closed.get() {
            return None;
        }
        self.state.open.borrow().clone()
    }

    /// The open connection, opening (and creating) the database if needed
    /// and opens are not refused. A failed open is reported and retried on
    /// the next call.
    pub async fn database(&self) -> Result<Database, RefreshError> {
        if let Some(database) = self.state.open.borrow().clone() {
            return Ok(database);
        }
        if self.state.closed.get() {
            return Err(ErrorKind::Closed.into());
        }
        // An upgrade this context started is still blocked: an open would
        // wait behind it for as long as the blocking connection lives.
        if let Some(error) = still_blocked(&self.name) {
            return Err(store_error("upgrading the database", error.into()));
        }
        // Open at whatever version the database has (another connection may
        // have upgraded it); add the object stores if they are missing.
        let mut database = open(&self.name).await?;
        if !has_object_stores(&database) && !self.state.closed.get() {
            let version = database.version() + 1.0;
            database.close();
            Settled::new(&create_stores(
                &self.name,
                version,
                OBJECT_STORE,
                LEASE_STORE,
            ))
            .await
            .map_err(|error| store_error("upgrading the database", error))?;
            if self.state.closed.get() {
                return Err(ErrorKind::Closed.into());
            }
            database = open(&self.name).await?;
            if !has_object_stores(&database) {
                database.close();
                return Err(store_error(
                    "upgrading the database",
                    js_sys::Error::new("another context changed the database during the upgrade")
                        .into(),
                ));
            }
        }
        if self.state.closed.get() {
            // Closed while opening: open nothing.
            database.close();
            return Err(ErrorKind::Closed.into());
        }
        if let Some(first) = self.state.open.borrow().clone() {
            // Another use opened it meanwhile: keep one connection.
            database.close();
            return Ok(first);
        }
        self.step_aside_when_closing(&database);
        *self.state.open.borrow_mut() = Some(database.clone());
        Ok(database)
    }

    /// Never block another connection's upgrade or deletion: close on
    /// `versionchange`, and forget the connection so the next use reopens;
    /// forget it too when the browser closes it (the site's data cleared).
    fn step_aside_when_closing(&self, database: &Database) {
        let state = Rc::downgrade(&self.state);
        let stepped_aside = Closure::once(move || {
            if let Some(state) = state.upgrade() {
                state.open.borrow_mut().take();
            }
        });
        step_aside(database, &stepped_aside);
        // Dropped with the connection; the listeners are removed when one fires.
        *self.state.on_closing.borrow_mut() = Some(stepped_aside);
    }
}

/// Opens database `name` at its version: the factory found by
/// indexed_db_futures in this window or worker, the request made and heard
/// in idb.js (one promise; indexed_db_futures' own open request would
/// add tokio's channels to the .wasm, 3.3 KiB gzipped, and drop an
/// exception `indexedDB.open` throws, where this keeps it as the cause).
async fn open(name: &str) -> Result<Database, RefreshError> {
    // The crate's error is not read: idb.js reads `indexedDB` again for
    // what it throws (a match over the error's kinds was 0.1 KiB more).
    let Ok(factory) = DBFactory::new() else {
        return Err(store_error("opening the database", indexed_db_failure()));
    };
    let request = open_database(factory.as_sys(), name);
    let mut given_up = GivenUp(Some(request.clone()));
    let opened = Settled::new(&request).await;
    given_up.0 = None;
    opened
        .map(JsCast::unchecked_into)
        .map_err(|error| store_error("opening the database", error))
}

/// An open request whose future may be dropped before it ends (a wait for
/// the lease lock that ends meanwhile): the connection it opens then has no
/// owner and no `versionchange` listener, and would block every later
/// upgrade or deletion of the database; dropped with the request, this
/// closes it once it opens.
struct GivenUp(Option<js_sys::Promise>);

impl Drop for GivenUp {
    fn drop(&mut self) {
        if let Some(open) = self.0.take() {
            close_once_open(&open);
        }
    }
}

fn has_object_stores(database: &Database) -> bool {
    has_stores(database, OBJECT_STORE, LEASE_STORE)
}
