//! Decoding of options and tokens: checked, never coerced. A wrong type or an
//! unusable value is an `InvalidArgumentError` that names the field.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use crate::core::record::number_text;
use crate::core::{RefreshError, SessionTokens};
use crate::web::lease::DEFAULT_LEASE_MS;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** An access token and, if the server issued one, a refresh token. */
export interface SessionTokens {
  accessToken: string;
  refreshToken?: string | null;
}

/** Options of `CrossTabRefreshManager.open`. */
export interface ManagerOptions {
  /** Which session; every context of one session uses the same value (e.g. user ID + device ID). */
  session: string;
  /** This context's name in diagnostics; default random. */
  holder?: string;
  /** Default wait of `spinLock`, in milliseconds; default 60000. */
  lockTimeoutMs?: number;
  /** IndexedDB database name; default "cross-tab-refresh". */
  databaseName?: string;
  /** Which lock to use; default "auto": Web Locks where present, else the IndexedDB lease lock. */
  lock?: "auto" | "web-locks" | "lease";
  /** Lease length of the lease lock, in milliseconds; default 20000, from 100 to 600000. */
  leaseMs?: number;
}

/** What `subscribe` listeners receive when another context changes the session. */
export interface SessionEvent {
  type: "refreshed" | "logout";
  session: string;
  /** The stored hash now (seed hex form), or null after a logout. */
  dbHash: string | null;
  /** The stored generation now. */
  generation: number;
}

/** The stored record of a session, as `storedState()` reads it. */
export interface StoredState {
  /** The stored hash (seed hex form), or null when nothing is stored or after a logout. */
  dbHash: string | null;
  /** Grows by one with every write; 0 when nothing was ever written. */
  generation: number;
}

/** What `lockState()` can tell of the session's lock. */
export interface LockState {
  kind: "web-locks" | "lease";
  /** Someone holds the lock. */
  held: boolean;
  /** This manager holds it (through a guard or a refresh in flight). */
  heldByThisManager: boolean;
  /** Requests waiting for it (Web Locks), or null where the platform cannot tell (lease). */
  waiting: number | null;
  /** Who holds it: Web Locks client IDs, or the lease holder's name. */
  holders: string[];
  /** When the lease expires (ms since the epoch), or null. */
  expiresAt: number | null;
}

/** Options of `spinLock`. */
export interface SpinLockOptions {
  /** How long to wait, in milliseconds; 0 takes the lock only if it is free now. */
  timeoutMs?: number;
  /** Aborts the wait with an `AbortError`. */
  signal?: AbortSignal;
  /** Take the lock from its holder at once (its later writes are fenced). */
  steal?: boolean;
}
"#;

/// Longest accepted `session`, `holder` and `databaseName`, in UTF-16 units.
pub const MAX_NAME_LEN: usize = 1024;
/// Default `lockTimeoutMs`, as the seed's `spin_lock`.
pub const DEFAULT_LOCK_TIMEOUT_MS: u32 = 60_000;
/// Largest timeout a browser timer honours (2^31 − 1 ms).
pub const MAX_TIMEOUT_MS: u32 = i32::MAX as u32;
/// Shortest accepted `leaseMs`.
pub const MIN_LEASE_MS: u32 = 100;
/// Longest accepted `leaseMs` (ten minutes).
pub const MAX_LEASE_MS: u32 = 600_000;
/// Default IndexedDB database name.
pub const DEFAULT_DATABASE_NAME: &str = "cross-tab-refresh";

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

fn invalid(message: String) -> RefreshError {
    RefreshError::InvalidArgument(message)
}

/// Reads a plain options object, refusing keys it does not know.
struct Fields<'a> {
    object: &'a JsValue,
    what: &'static str,
}

impl<'a> Fields<'a> {
    fn new(value: &'a JsValue, what: &'static str, known: &[&str]) -> Result<Self, RefreshError> {
        if !value.is_object() || value.is_function() {
            return Err(invalid(format!(
                "{what} must be an object, got {}",
                type_of(value)
            )));
        }
        let keys = Object::keys(value.unchecked_ref::<Object>());
        for key in keys.iter() {
            let key = key.as_string().unwrap_or_default();
            if !known.contains(&key.as_str()) {
                return Err(invalid(format!(
                    "{what} has an unknown option \"{key}\" (known: {})",
                    known.join(", ")
                )));
            }
        }
        Ok(Self {
            object: value,
            what,
        })
    }

    /// The field, or `None` when absent or `undefined`.
    fn get(&self, key: &str) -> Result<Option<JsValue>, RefreshError> {
        let value = Reflect::get(self.object, &JsValue::from_str(key))
            .map_err(|_| invalid(format!("{}.{key} cannot be read", self.what)))?;
        Ok((!value.is_undefined()).then_some(value))
    }

    fn name(&self, key: &str, required: bool) -> Result<Option<String>, RefreshError> {
        let what = self.what;
        match self.get(key)? {
            None if required => Err(invalid(format!("{what}.{key} is required"))),
            None => Ok(None),
            Some(value) => {
                let Some(text) = value.as_string() else {
                    return Err(invalid(format!(
                        "{what}.{key} must be a string, got {}",
                        type_of(&value)
                    )));
                };
                let len = text.encode_utf16().count();
                if len == 0 {
                    Err(invalid(format!("{what}.{key} must not be empty")))
                } else if len > MAX_NAME_LEN {
                    Err(invalid(format!(
                        "{what}.{key} is {len} characters long; the limit is {MAX_NAME_LEN}"
                    )))
                } else {
                    Ok(Some(text))
                }
            }
        }
    }

    fn timeout(&self, key: &str) -> Result<Option<u32>, RefreshError> {
        let what = self.what;
        let Some(value) = self.get(key)? else {
            return Ok(None);
        };
        let Some(ms) = value.as_f64() else {
            return Err(invalid(format!(
                "{what}.{key} must be a number of milliseconds, got {}",
                type_of(&value)
            )));
        };
        if !ms.is_finite() || ms < 0.0 || ms.fract() != 0.0 || ms > f64::from(MAX_TIMEOUT_MS) {
            return Err(invalid(format!(
                "{what}.{key} must be a whole number of milliseconds from 0 to {MAX_TIMEOUT_MS}, got {}",
                number_text(ms)
            )));
        }
        Ok(Some(ms as u32))
    }

    fn boolean(&self, key: &str) -> Result<bool, RefreshError> {
        match self.get(key)? {
            None => Ok(false),
            Some(value) => value.as_bool().ok_or_else(|| {
                invalid(format!(
                    "{}.{key} must be a boolean, got {}",
                    self.what,
                    type_of(&value)
                ))
            }),
        }
    }
}

fn type_of(value: &JsValue) -> String {
    if value.is_null() {
        "null".to_owned()
    } else if js_sys::Array::is_array(value) {
        "an array".to_owned()
    } else {
        value.js_typeof().as_string().unwrap_or_default()
    }
}

/// Decodes the options of `CrossTabRefreshManager.open`.
pub fn manager_options(value: &JsValue) -> Result<ManagerOptions, RefreshError> {
    let fields = Fields::new(
        value,
        "options",
        &[
            "session",
            "holder",
            "lockTimeoutMs",
            "databaseName",
            "lock",
            "leaseMs",
        ],
    )?;
    let lock = match fields.get("lock")? {
        None => LockChoice::Auto,
        Some(value) => match value.as_string().as_deref() {
            Some("auto") => LockChoice::Auto,
            Some("web-locks") => LockChoice::WebLocks,
            Some("lease") => LockChoice::Lease,
            _ => {
                return Err(invalid(format!(
                    "options.lock must be \"auto\", \"web-locks\" or \"lease\", got {}",
                    value
                        .as_string()
                        .map_or_else(|| type_of(&value), |s| format!("\"{s}\""))
                )));
            }
        },
    };
    Ok(ManagerOptions {
        session: fields.name("session", true)?.unwrap_or_default(),
        holder: fields.name("holder", false)?,
        lock_timeout_ms: fields
            .timeout("lockTimeoutMs")?
            .unwrap_or(DEFAULT_LOCK_TIMEOUT_MS),
        database_name: fields
            .name("databaseName", false)?
            .unwrap_or_else(|| DEFAULT_DATABASE_NAME.to_owned()),
        lock,
        lease_ms: match fields.timeout("leaseMs")? {
            None => DEFAULT_LEASE_MS,
            Some(ms) if (MIN_LEASE_MS..=MAX_LEASE_MS).contains(&ms) => ms,
            Some(ms) => {
                return Err(invalid(format!(
                    "options.leaseMs must be from {MIN_LEASE_MS} to {MAX_LEASE_MS}, got {ms}"
                )));
            }
        },
    })
}

/// Decodes the options of `spinLock` (`undefined` means none).
pub fn spin_lock_options(value: &JsValue) -> Result<SpinLockOptions, RefreshError> {
    if value.is_undefined() {
        return Ok(SpinLockOptions::default());
    }
    let fields = Fields::new(value, "spinLock options", &["timeoutMs", "signal", "steal"])?;
    let signal = match fields.get("signal")? {
        None => None,
        Some(value) => Some(value.dyn_into::<AbortSignal>().map_err(|value| {
            invalid(format!(
                "spinLock options.signal must be an AbortSignal, got {}",
                type_of(&value)
            ))
        })?),
    };
    let options = SpinLockOptions {
        timeout_ms: fields.timeout("timeoutMs")?,
        signal,
        steal: fields.boolean("steal")?,
    };
    if options.steal && (options.signal.is_some() || options.timeout_ms.is_some()) {
        return Err(invalid(
            "spinLock options.steal takes the lock at once: it cannot be combined with signal or timeoutMs".to_owned(),
        ));
    }
    Ok(options)
}

/// Decodes `SessionTokens`. Extra fields are ignored; tokens are never
/// echoed in an error message.
pub fn session_tokens(value: &JsValue, what: &'static str) -> Result<SessionTokens, RefreshError> {
    if !value.is_object() || value.is_function() {
        return Err(invalid(format!(
            "{what} must be an object {{ accessToken, refreshToken? }}, got {}",
            type_of(value)
        )));
    }
    let field = |key: &str| Reflect::get(value, &JsValue::from_str(key)).unwrap_or_default();
    let access = field("accessToken");
    let Some(access_token) = access.as_string() else {
        return Err(invalid(format!(
            "{what}.accessToken must be a string, got {}",
            type_of(&access)
        )));
    };
    if access_token.is_empty() {
        return Err(invalid(format!("{what}.accessToken must not be empty")));
    }
    let refresh = field("refreshToken");
    let refresh_token = if refresh.is_undefined() || refresh.is_null() {
        None
    } else {
        // "" is accepted: it adds no bytes, so it hashes like none (as the seed).
        match refresh.as_string() {
            Some(token) => Some(token),
            None => {
                return Err(invalid(format!(
                    "{what}.refreshToken must be a string or null, got {}",
                    type_of(&refresh)
                )));
            }
        }
    };
    Ok(SessionTokens {
        access_token,
        refresh_token,
    })
}
