//! Opening a session's manager from Rust: the same lock, store and
//! notifications the JavaScript classes use, for Rust code compiled to
//! WebAssembly (a matrix-rust-sdk web build, say). No `web_sys_unstable_apis`
//! is needed.
//!
//! ```ignore
//! use cross_tab_refresh::web::{LockOptions, SessionConfig, open_session};
//!
//! let manager = open_session(SessionConfig::new("@alice:example.org|DEVICE")).await?;
//! manager.restore_session(&tokens_from_storage).await?;
//! let guard = manager.spin_lock(LockOptions::waiting(60_000)).await?;
//! if guard.hash_mismatch() {
//!     guard.handle_mismatch(&reloaded_tokens).await?;
//! } else {
//!     guard.save_in_memory_and_db(&refreshed_tokens).await?;
//! }
//! drop(guard); // releases the lock
//! ```

use super::idb::{Connection, has_indexed_db};
use super::lease_record::LeaseRecord;
use super::locks::lock_manager;
use super::{BroadcastNotifier, ContextLock, IdbHashStore, LeaseLock, LockOptions, WebLocks};
use crate::core::options::{DEFAULT_DATABASE_NAME, DEFAULT_LEASE_MS};
use crate::core::text::{decimal, join};
use crate::core::{ErrorKind, RefreshError, RefreshManager};

/// A manager of one session in this context, as [`open_session`] returns it.
pub type WebRefreshManager = RefreshManager<ContextLock, IdbHashStore, BroadcastNotifier>;

/// Closes `manager`: every wait for the lock in progress fails with
/// `Closed`, so do later calls; listeners hear nothing more, and nothing
/// opens the database again. Then the lease lock gives back its lease, the
/// database connection closes and the channel closes: at once, or, if a
/// refresh is in flight, once it has ended (one past the lock runs to its
/// end and stores its tokens' hash: the old refresh token may be spent; an
/// adoption pausing for the app's storage ends at once with `Closed`).
pub fn close_session(manager: &WebRefreshManager) {
    manager.close();
    manager.notifier().unsubscribe_all();
    manager.store().connection().refuse_opens();
    let closing = manager.clone();
    manager.after_refresh(move || {
        closing.lock().close(closing.store().connection());
        closing.notifier().close();
    });
}

/// Which cross-context lock to use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LockChoice {
    /// Web Locks where present, else the lease lock.
    #[default]
    Auto,
    /// Web Locks, or `NotSupported`.
    WebLocks,
    /// The IndexedDB lease lock.
    Lease,
}

/// What [`open_session`] opens.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// Which session (the same in every context, e.g. user ID + device ID).
    pub session: String,
    /// The IndexedDB database.
    pub database_name: String,
    /// This context's name in diagnostics (the lease lock makes it unique).
    pub holder: String,
    /// Which lock.
    pub lock: LockChoice,
    /// Lease length of the lease lock.
    pub lease_ms: u32,
}

impl SessionConfig {
    /// Defaults: database `"cross-tab-refresh"`, a random holder name, the
    /// `Auto` lock, a 20 s lease.
    pub fn new(session: impl Into<String>) -> Self {
        Self {
            session: session.into(),
            database_name: DEFAULT_DATABASE_NAME.to_owned(),
            holder: random_name("context"),
            lock: LockChoice::Auto,
            lease_ms: DEFAULT_LEASE_MS,
        }
    }
}

impl LockOptions {
    /// Wait up to `timeout_ms` for the lock.
    pub fn waiting(timeout_ms: u32) -> Self {
        Self {
            timeout_ms,
            signal: None,
            steal: false,
        }
    }
}

/// The lock name shared by every context of `session` in `database_name`.
pub fn lock_name(database_name: &str, session: &str) -> String {
    join(&["cross-tab-refresh:", database_name, ":", session])
}

/// A name with a random suffix.
pub fn random_name(prefix: &str) -> String {
    let bits = (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
    join(&[prefix, "-", &decimal(bits.into())])
}

/// Opens the manager of one session: checks IndexedDB, picks the lock, opens
/// the database (so that a context without usable storage finds out here)
/// and joins the session's notification channel.
pub async fn open_session(config: SessionConfig) -> Result<WebRefreshManager, RefreshError> {
    let manager = new_session(config)?;
    manager.store().connection().database().await?;
    Ok(manager)
}

/// [`open_session`] but for opening the database: the manager, whose
/// connection opens on first use. (`CrossTabRefreshManager.open` opens it
/// itself: one async layer fewer in the .wasm.)
pub fn new_session(config: SessionConfig) -> Result<WebRefreshManager, RefreshError> {
    if !has_indexed_db() {
        return Err(ErrorKind::NotSupported {
            message: "IndexedDB is not available in this context (private mode, a sandboxed frame or an old browser?); the session hash has nowhere to live".to_owned(),
            cause: None,
        }
        .into());
    }
    let web_locks = match (config.lock, lock_manager()) {
        (LockChoice::Lease, _) | (LockChoice::Auto, None) => None,
        (LockChoice::Auto | LockChoice::WebLocks, Some(manager)) => Some(manager),
        (LockChoice::WebLocks, None) => {
            return Err(ErrorKind::NotSupported {
                message: "navigator.locks (Web Locks) is not available in this context: it needs a secure context (https or localhost) and a browser from 2022 or later; lock: \"auto\" or \"lease\" uses the IndexedDB lease lock instead".to_owned(),
                cause: None,
            }
            .into());
        }
    };
    let connection = Connection::new(&config.database_name);
    let store = IdbHashStore::new(connection.clone(), config.session.clone());
    let name = lock_name(&config.database_name, &config.session);
    let notifier = BroadcastNotifier::new(&name, config.session.clone());
    let lock = match web_locks {
        Some(manager) => {
            ContextLock::WebLocks(WebLocks::new(manager, name).reading_ahead(store.read_ahead()))
        }
        // Every acquisition has its own token besides this name.
        None => ContextLock::Lease(LeaseLock::new(
            LeaseRecord::new(connection, name),
            &config.holder,
            config.lease_ms,
        )),
    };
    Ok(RefreshManager::with_notifier(lock, store, notifier))
}
