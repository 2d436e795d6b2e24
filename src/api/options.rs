//! Decoding the options of `CrossTabRefreshManager.open` and `spinLock`:
//! read with [`Fields`], checked by the core's rules ([`options`]).

use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::fields::{Fields, invalid, type_of};
use crate::core::options::{
    self, DEFAULT_DATABASE_NAME, DEFAULT_LEASE_MS, DEFAULT_LOCK_TIMEOUT_MS,
};
use crate::core::text::join;
use crate::core::{ErrorKind, RefreshError};
use crate::web::global::js_cause;

pub use crate::web::LockChoice;

/// Decoded `ManagerOptions`.
#[derive(Clone, Debug)]
pub struct ManagerOptions {
    /// `session`.
    pub session: String,
    /// `holder`, if given.
    pub holder: Option<String>,
    /// `lockTimeoutMs`.
    pub lock_timeout_ms: u32,
    /// `databaseName`.
    pub database_name: String,
    /// `lock`.
    pub lock: LockChoice,
    /// `leaseMs`.
    pub lease_ms: u32,
}

/// Decoded `spinLock` options.
#[derive(Clone, Debug, Default)]
pub struct SpinLockOptions {
    /// `timeoutMs`, if given.
    pub timeout_ms: Option<u32>,
    /// `signal`.
    pub signal: Option<AbortSignal>,
    /// `steal`.
    pub steal: bool,
}

/// A timeout field, checked by [`options::timeout_ms`].
fn timeout(fields: &Fields<'_>, key: &str) -> Result<Option<u32>, RefreshError> {
    fields
        .number(key)?
        .map(|ms| options::timeout_ms(fields.what(), key, ms))
        .transpose()
}

/// Decodes the options of `CrossTabRefreshManager.open`.
pub fn manager_options(value: &JsValue) -> Result<ManagerOptions, RefreshError> {
    let fields = Fields::new(
        value,
        "options",
        "session, holder, lockTimeoutMs, databaseName, lock, leaseMs",
    )?;
    let lock = match fields.get("lock") {
        None => LockChoice::Auto,
        Some(value) => match value.as_string().as_deref() {
            Some("auto") => LockChoice::Auto,
            Some("web-locks") => LockChoice::WebLocks,
            Some("lease") => LockChoice::Lease,
            _ => {
                let got = match value.as_string() {
                    Some(text) => join(&["\"", &text, "\""]),
                    None => type_of(&value),
                };
                return Err(invalid(join(&[
                    "options.lock must be \"auto\", \"web-locks\" or \"lease\", got ",
                    &got,
                ])));
            }
        },
    };
    Ok(ManagerOptions {
        session: fields.name("session", true)?.unwrap_or_default(),
        holder: fields.name("holder", false)?,
        lock_timeout_ms: timeout(&fields, "lockTimeoutMs")?.unwrap_or(DEFAULT_LOCK_TIMEOUT_MS),
        database_name: fields
            .name("databaseName", false)?
            .unwrap_or_else(|| DEFAULT_DATABASE_NAME.to_owned()),
        lock,
        lease_ms: match fields.number("leaseMs")? {
            None => DEFAULT_LEASE_MS,
            Some(ms) => options::lease_ms(fields.what(), "leaseMs", ms)?,
        },
    })
}

/// Decodes the options of `spinLock` (`undefined` means none).
pub fn spin_lock_options(value: &JsValue) -> Result<SpinLockOptions, RefreshError> {
    if value.is_undefined() {
        return Ok(SpinLockOptions::default());
    }
    let fields = Fields::new(value, "spinLock options", "timeoutMs, signal, steal")?;
    let signal = match fields.get("signal") {
        None => None,
        Some(value) => Some(value.dyn_into::<AbortSignal>().map_err(|value| {
            fields.wrong_field("signal", " must be an AbortSignal, got ", &value)
        })?),
    };
    let decoded = SpinLockOptions {
        timeout_ms: timeout(&fields, "timeoutMs")?,
        signal,
        steal: fields.boolean("steal")?,
    };
    options::steal_alone(
        fields.what(),
        decoded.steal,
        decoded.signal.is_some() || decoded.timeout_ms.is_some(),
        "signal or timeoutMs",
    )?;
    // Aborted already: rejects at once, before any lock is asked for (also
    // when it is taken only if free, or this context holds it).
    if let Some(signal) = decoded.signal.as_ref().filter(|signal| signal.aborted()) {
        return Err(ErrorKind::Aborted {
            cause: js_cause(signal.reason()),
        }
        .into());
    }
    Ok(decoded)
}
