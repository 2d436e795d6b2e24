//! The lease record in IndexedDB: `{ holder, token, expiresAt }` under the
//! lock's name, read and changed in one readwrite transaction by the core's
//! lease decision.

use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use super::idb::{
    Connection, LEASE_STORE, begin, commit, fail, get_value, object_store, put_value, read_value,
};
use crate::core::RefreshError;
use crate::core::lease::{Lease, LeaseAction, LeaseOp, decide};

/// The lease of one lock name, over a manager's connection.
#[derive(Clone)]
pub struct LeaseRecord {
    connection: Connection,
    name: String,
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
        Self { connection, name }
    }

    /// The connection this record uses.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// Applies `op` for `who` at `now_ms`; returns whether `who` holds the
    /// lease afterwards.
    pub async fn apply(
        &self,
        who: &Acquirer<'_>,
        op: LeaseOp,
        now_ms: f64,
        lease_ms: u32,
    ) -> Result<bool, RefreshError> {
        let database = self.connection.database().await?;
        self.apply_on(&database, who, op, now_ms, lease_ms).await
    }

    /// As [`apply`](Self::apply), on an open `database` (for the last
    /// release at `close()`).
    pub async fn apply_on(
        &self,
        database: &Database,
        who: &Acquirer<'_>,
        op: LeaseOp,
        now_ms: f64,
        lease_ms: u32,
    ) -> Result<bool, RefreshError> {
        let transaction = begin(database, LEASE_STORE, TransactionMode::Readwrite)?;
        let store = object_store(&transaction, LEASE_STORE)?;
        let current = get_value(&store, &self.name, "reading the lease").await?;
        let current = current.as_ref().and_then(lease_of);
        let held = match decide(
            current.as_ref(),
            who.holder,
            who.token,
            op,
            now_ms,
            lease_ms,
        ) {
            LeaseAction::Keep => return Ok(false),
            LeaseAction::Write(lease) => {
                put_value(&store, &self.name, encode(&lease), "writing the lease")?;
                true
            }
            LeaseAction::Delete => {
                store
                    .delete(self.name.as_str())
                    .primitive()
                    .map(drop)
                    .map_err(fail("deleting the lease"))?;
                false
            }
        };
        drop(store);
        commit(transaction, "committing the lease").await?;
        Ok(held)
    }

    /// The lease as stored now, if readable.
    pub async fn read(&self) -> Result<Option<Lease>, RefreshError> {
        let database = self.connection.database().await?;
        let current = read_value(&database, LEASE_STORE, &self.name, "reading the lease").await?;
        Ok(current.as_ref().and_then(lease_of))
    }
}

/// A stored value as a lease; an unreadable one is none (and so free).
fn lease_of(value: &JsValue) -> Option<Lease> {
    let text = |key: &str| {
        Reflect::get(value, &JsValue::from_str(key))
            .ok()?
            .as_string()
    };
    Some(Lease {
        holder: text("holder")?,
        token: text("token")?,
        expires_at_ms: Reflect::get(value, &JsValue::from_str("expiresAt"))
            .ok()?
            .as_f64()?,
    })
}

fn encode(lease: &Lease) -> JsValue {
    let record = Object::new();
    for (key, value) in [
        ("holder", JsValue::from_str(&lease.holder)),
        ("token", JsValue::from_str(&lease.token)),
        ("expiresAt", JsValue::from(lease.expires_at_ms)),
    ] {
        let _ = Reflect::set(&record, &JsValue::from_str(key), &value);
    }
    record.into()
}
