//! A read of the session record that JavaScript starts ahead of Rust: in the
//! Web Lock's grant callback, before wasm hears of the grant. The holder's
//! first read then awaits it instead of starting one.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::JsString;
use wasm_bindgen::prelude::*;

use super::idb::Connection;
use super::record_io::RecordAt;

/// A read of one record that JavaScript starts at a moment of its own (when
/// a Web Lock is granted, in the grant's callback), kept for `spin_lock`'s
/// first read to await instead of starting one; any other read drops it.
/// Clones share it.
#[derive(Clone)]
pub struct ReadAhead {
    connection: Connection,
    at: RecordAt,
    started: Rc<RefCell<Option<js_sys::Promise>>>,
}

impl ReadAhead {
    /// Reads ahead of the record `at` over `connection`.
    pub fn new(connection: Connection, at: RecordAt) -> Self {
        Self {
            connection,
            at,
            started: Rc::default(),
        }
    }

    /// What JavaScript reads from: the open database (none while it is not
    /// open: the next read then opens it), the object store and the key.
    pub fn target(&self) -> Option<(JsValue, &JsString, &JsString)> {
        let database = self.connection.open_now()?;
        Some((database.into(), &self.at.store, &self.at.key))
    }

    /// Keeps `read`, started by JavaScript, for the next [`Self::take`].
    pub fn started(&self, read: Option<js_sys::Promise>) {
        *self.started.borrow_mut() = read;
    }

    /// The read started ahead, if any, for [`read_value`](super::record_io::read_value) to await. Taking
    /// it is what makes it serve only the first read after its start.
    pub fn take(&self) -> Option<js_sys::Promise> {
        self.started.borrow_mut().take()
    }
}
