//! Reading and changing one record in IndexedDB: each is one transaction of
//! its own, run in the library's JS (`readValue` in `browser.js`,
//! `updateValue` in `idb.js`: one promise per call instead of one per
//! request), with the change decided in Rust while the transaction is open.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

use super::idb::Database;
use js_sys::JsString;
use wasm_bindgen::prelude::*;

use super::global::{settled, store_error};
use super::record_fields::RECORD_SERIALIZER;
use crate::core::RefreshError;

#[wasm_bindgen(module = "/src/web/browser.js")]
extern "C" {
    #[wasm_bindgen(js_name = readValue)]
    fn read_value_js(
        database: &JsValue,
        store: &JsString,
        key: &JsString,
        ahead: Option<js_sys::Promise>,
    ) -> js_sys::Promise;
}

#[wasm_bindgen(module = "/src/web/idb.js")]
extern "C" {
    #[wasm_bindgen(js_name = updateValue)]
    fn update_value_js(
        database: &JsValue,
        store: &JsString,
        key: &JsString,
        decide: &Closure<dyn FnMut(JsValue) -> JsValue>,
    ) -> js_sys::Promise;
}

/// Where one record lives: its object store and key, as JS strings made
/// once (every read and write passes them).
#[derive(Clone)]
pub struct RecordAt {
    pub(super) store: JsString,
    pub(super) key: JsString,
}

impl RecordAt {
    /// The record under `key` in object store `store`.
    pub fn new(store: &str, key: &str) -> Self {
        Self {
            store: store.into(),
            key: key.into(),
        }
    }
}

/// The value of the record `at` (one readonly transaction): the read a lock
/// holder makes first, kept to the fewest steps. Given the read of a
/// [`ReadAhead`](super::read_ahead::ReadAhead), its value, or if it failed,
/// that of a read made now.
pub fn read_value(
    database: &Database,
    at: &RecordAt,
    step: &'static str,
    ahead: Option<js_sys::Promise>,
) -> impl Future<Output = Result<Option<JsValue>, RefreshError>> {
    let read = read_value_js(database, &at.store, &at.key, ahead);
    settled(read, move |outcome| {
        let value = outcome.map_err(|error| store_error(step, error))?;
        Ok((!value.is_undefined()).then_some(value))
    })
}

/// What an update does with the record it read.
pub enum Change<R> {
    /// Nothing: the transaction commits empty.
    Keep,
    /// Writes this record (a [`serde::Serialize`] value) in its place.
    Put(R),
    /// Deletes it.
    Delete,
}

/// The steps of an update on one record, as its errors name them.
pub struct Steps {
    /// Starting the transaction.
    pub start: &'static str,
    /// Reading the record.
    pub read: &'static str,
    /// Writing it.
    pub write: &'static str,
    /// Deleting it.
    pub delete: &'static str,
    /// Committing the transaction.
    pub commit: &'static str,
}

/// In one readwrite transaction on the record `at`: reads its value, lets
/// `decide` choose the change from it, makes the change and commits.
/// Returns what `decide` returned once the change is committed; on any error
/// (of `decide` too) nothing is written.
///
/// If this future is dropped first, the transaction is aborted when
/// `decide` would run: nothing is written for a caller that went away.
pub fn update_value<R, T, D>(
    database: &Database,
    at: &RecordAt,
    steps: &'static Steps,
    decide: D,
) -> impl Future<Output = Result<T, RefreshError>> + use<R, T, D>
where
    R: serde::Serialize,
    T: 'static,
    D: FnOnce(Option<JsValue>) -> Result<(Change<R>, T), RefreshError> + 'static,
{
    // The record types differ, the transaction does not: it runs once, in
    // `run_update`, on a decision that hands back the serialized record.
    let decided = Rc::new(Cell::new(None));
    let write = steps.write;
    let erased: Decide = {
        let decided = decided.clone();
        Box::new(move |value| {
            let (change, result) = decide(value)?;
            let change = match change {
                Change::Keep => Change::Keep,
                Change::Delete => Change::Delete,
                Change::Put(record) => Change::Put(
                    record
                        .serialize(&RECORD_SERIALIZER)
                        .map_err(|error| store_error(write, error.into()))?,
                ),
            };
            decided.set(Some(result));
            Ok(change)
        })
    };
    let mut run = run_update(database, at, steps, erased);
    std::future::poll_fn(move |cx| {
        std::pin::Pin::new(&mut run)
            .poll(cx)
            .map(|done| done.and_then(|()| decided.take().ok_or_else(|| never_read(steps))))
    })
}

/// A decision on the value read, with the record to write as a JS value.
type Decide = Box<dyn FnOnce(Option<JsValue>) -> Result<Change<JsValue>, RefreshError>>;

/// The transaction ended without handing the record to its decision.
fn never_read(steps: &Steps) -> RefreshError {
    store_error(
        steps.read,
        js_sys::Error::new("the transaction ended before the record was read").into(),
    )
}

/// The transaction of [`update_value`]: `Ok` once `decide` ran, returned
/// `Ok`, and its change committed.
fn run_update(
    database: &Database,
    at: &RecordAt,
    steps: &'static Steps,
    decide: Decide,
) -> impl Future<Output = Result<(), RefreshError>> + Unpin + use<> {
    let outcome: Rc<RefCell<Option<Result<(), RefreshError>>>> = Rc::default();
    let deleting = Rc::new(Cell::new(false));
    let decide = {
        let (outcome, deleting) = (outcome.clone(), deleting.clone());
        Closure::once(move |value: JsValue| -> JsValue {
            let value = (!value.is_undefined()).then_some(value);
            let (next, result) = match decide(value) {
                Ok(Change::Keep) => (JsValue::UNDEFINED, Ok(())),
                Ok(Change::Delete) => {
                    deleting.set(true);
                    (JsValue::NULL, Ok(()))
                }
                Ok(Change::Put(record)) => (record, Ok(())),
                Err(error) => (JsValue::UNDEFINED, Err(error)),
            };
            *outcome.borrow_mut() = Some(result);
            next
        })
    };
    let done = update_value_js(database, &at.store, &at.key, &decide);
    // `decide` lives until the transaction ends: dropped first, the
    // transaction aborts when it would run.
    settled(done, move |done| {
        drop(decide);
        finish(done, steps, &outcome, &deleting)
    })
}

/// How the transaction of [`run_update`] ended, as its caller sees it.
fn finish(
    done: Result<JsValue, JsValue>,
    steps: &Steps,
    outcome: &RefCell<Option<Result<(), RefreshError>>>,
    deleting: &Cell<bool>,
) -> Result<(), RefreshError> {
    if let Err(rejection) = done {
        // What the change itself decided (a fenced save, say) tells the
        // caller more than the failure of the empty transaction after it.
        if let Some(Err(error)) = outcome.borrow_mut().take() {
            return Err(error);
        }
        let step = js_sys::Reflect::get(&rejection, &0.into())
            .ok()
            .and_then(|step| step.as_f64());
        let cause = js_sys::Reflect::get(&rejection, &1.into()).unwrap_or(rejection);
        let name = match step {
            Some(1.0) => steps.read,
            Some(2.0) if deleting.get() => steps.delete,
            Some(2.0) => steps.write,
            Some(3.0) => steps.commit,
            _ => steps.start,
        };
        return Err(store_error(name, cause));
    }
    outcome
        .borrow_mut()
        .take()
        .unwrap_or_else(|| Err(never_read(steps)))
}
