//! The JavaScript classes: thin wrappers that decode arguments, call the core
//! through the web adapters, and turn every failure into a named `Error`.

pub mod diagnostics;
pub mod dispose;
pub mod error;
pub mod fields;
pub mod guard;
pub mod handlers;
pub mod manager;
pub mod options;
pub mod refresh;
pub mod tokens;
pub mod types;

pub use guard::RefreshLockGuard;
pub use manager::CrossTabRefreshManager;
