//! The lease record in IndexedDB: `{ holder, token, expiresAt }` under the
//! lock's name, read and changed in one readwrite transaction by the core's
//! lease decision.

use super::idb::Database;
use serde::ser::{Serialize, Serializer};
use wasm_bindgen::prelude::*;

use super::idb::{Connection, LEASE_STORE};
use super::record_fields::{Field, Fields, record_fields};
use super::record_io::{Change, RecordAt, Steps, read_value, update_value};
use crate::core::RefreshError;
use crate::core::lease::{Lease, LeaseAction, LeaseOp, decide};

/// The lease of one lock name, over a manager's connection.
#[derive(Clone)]
pub struct LeaseRecord {
    connection: Connection,
    at: RecordAt,
}

/// Who asks: the context's name and the acquisition's token.
pub struct Acquirer<'a> {
    /// The holder name (diagnostics).
    pub holder: &'a str,
    /// The acquisition's token.
    pub token: &'a str,
}

impl LeaseRecord {
    /// The lease `name` over `connection`.
    pub fn new(connection: Connection, name: String) -> Self {
        Self {
            at: RecordAt::new(LEASE_STORE, &name),
            connection,
        }
    }

    /// The connection this record uses.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// Applies `op` for `who`; returns whether `who` holds the lease
    /// afterwards.
    pub async fn apply(
        &self,
        who: Acquirer<'_>,
        op: LeaseOp,
        lease_ms: u32,
    ) -> Result<bool, RefreshError> {
        let database = self.connection.database().await?;
        self.apply_on(&database, who, op, lease_ms).await
    }

    /// As [`apply`](Self::apply), on an open `database`.
    fn apply_on(
        &self,
        database: &Database,
        who: Acquirer<'_>,
        op: LeaseOp,
        lease_ms: u32,
    ) -> impl Future<Output = Result<bool, RefreshError>> + use<> {
        let (holder, token) = (who.holder.to_owned(), who.token.to_owned());
        let decide = move |value: Option<JsValue>| {
            let current = value.as_ref().and_then(lease_of);
            // The time the transaction reads the lease, not the time it was
            // asked for: opening the database, or other contexts'
            // transactions, may have taken longer than a lease lasts.
            let now_ms = js_sys::Date::now();
            Ok(
                match decide(current.as_ref(), &holder, &token, op, now_ms, lease_ms) {
                    LeaseAction::Keep => (Change::Keep, false),
                    LeaseAction::Write(lease) => (Change::Put(Stored::from(lease)), true),
                    LeaseAction::Delete => (Change::Delete, false),
                },
            )
        };
        update_value(database, &self.at, &STEPS, decide)
    }

    /// The lease's stored value now, over the open `database` (the lease
    /// lock reads its fields). Not an `async fn` that also opens the database: its
    /// one caller awaits both, and each async layer is a state machine of
    /// its own in the .wasm (139 bytes gzipped, 2026-12-06).
    pub fn read(
        &self,
        database: &Database,
    ) -> impl Future<Output = Result<Option<JsValue>, RefreshError>> {
        read_value(database, &self.at, "reading the lease", None)
    }
}

/// A stored value as a lease; an unreadable one is none (and so free). A
/// lease with no token, as version 0.1 wrote them, is another context's:
/// its token reads as "", which no acquisition has.
pub(super) fn lease_of(value: &JsValue) -> Option<Lease> {
    let fields = record_fields(value, "holder,token,expiresAt");
    Some(Lease {
        holder: fields.get(0).as_string()?,
        token: fields.get(1).as_string().unwrap_or_default(),
        expires_at_ms: fields.get(2).as_f64()?,
    })
}

/// The steps of a lease change, as its errors name them.
const STEPS: Steps = Steps {
    start: "starting a transaction on the lease",
    read: "reading the lease",
    write: "writing the lease",
    delete: "deleting the lease",
    commit: "committing the lease",
};

/// The lease as written: `{ holder, token, expiresAt }`. A map, not a
/// derived struct (see `RECORD_SERIALIZER` in `record_fields.rs`).
struct Stored {
    holder: String,
    token: String,
    expires_at: f64,
}

impl Serialize for Stored {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Fields(&[
            ("holder", Field::Text(&self.holder)),
            ("token", Field::Text(&self.token)),
            ("expiresAt", Field::Number(self.expires_at)),
        ])
        .serialize(serializer)
    }
}

impl From<Lease> for Stored {
    fn from(lease: Lease) -> Self {
        Self {
            holder: lease.holder,
            token: lease.token,
            expires_at: lease.expires_at_ms,
        }
    }
}
