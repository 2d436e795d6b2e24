//! The one error type of the crate, with the stable names JavaScript sees.
//! Messages name no call of either API (JavaScript or Rust): they say what
//! happened and what to do in words both can follow. Where what to do is one
//! call, it is a [`Remedy`], which an API layer may name in its own terms.

use std::any::Any;
use std::rc::Rc;

/// The underlying failure behind an error, kept opaque in the core (in the
/// browser it holds the `DOMException` or the callback's rejection value).
/// Clones share the value (a single-flight refresh hands one error to every
/// caller). The value is boxed once more so that a `Cause` is one thin
/// pointer: every `Result` of the crate carries a `RefreshError`, and the
/// smaller it is, the less code moves it (the package is 0.5 KiB smaller
/// gzipped than with `Rc<dyn Any>`, a pointer and a vtable).
#[derive(Clone)]
pub struct Cause(Rc<Box<dyn Any>>);

impl Cause {
    /// Wraps any value as a cause.
    pub fn new<T: Any>(value: T) -> Self {
        Self(Rc::new(Box::new(value)))
    }

    /// The value, if it has type `T`.
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        (**self.0).downcast_ref()
    }
}

impl std::fmt::Debug for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cause(..)")
    }
}

/// The one thing to do about an error, where there is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Remedy {
    /// Log out: the unreadable record becomes an empty one.
    LogOut,
    /// Open another manager.
    OpenAnother,
    /// Take the lock again.
    LockAgain,
    /// Return tokens from the handler instead of refreshing from inside it.
    ReturnTokens,
}

impl Remedy {
    /// The remedy in words that name no API call; every message that has a
    /// remedy ends with this text.
    pub const fn text(self) -> &'static str {
        match self {
            Self::LogOut => "logging out replaces it with an empty record",
            Self::OpenAnother => "open a new manager to go on",
            Self::LockAgain => "take the lock again for a new guard",
            Self::ReturnTokens => "return tokens from the handler instead",
        }
    }
}

/// Everything that can go wrong while coordinating a refresh: one pointer
/// to its [`ErrorKind`] (which it dereferences to), so that every `Result`
/// of the crate stays small (the `.wasm` moves it around less).
#[derive(Clone)]
pub struct RefreshError(Box<ErrorKind>);

impl RefreshError {
    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// What went wrong, by value.
    pub fn into_kind(self) -> ErrorKind {
        *self.0
    }

    /// The underlying failure, if one was recorded ([`ErrorKind::cause`]).
    /// Inherent, so that the deprecated `std::error::Error::cause` is never
    /// picked instead where that trait is in scope.
    pub fn cause(&self) -> Option<&Cause> {
        self.0.cause()
    }

    /// Shorthand for an [`ErrorKind::InvalidArgument`].
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        ErrorKind::InvalidArgument(message.into()).into()
    }
}

impl From<ErrorKind> for RefreshError {
    fn from(kind: ErrorKind) -> Self {
        Self(Box::new(kind))
    }
}

impl std::ops::Deref for RefreshError {
    type Target = ErrorKind;
    fn deref(&self) -> &ErrorKind {
        &self.0
    }
}

impl std::fmt::Debug for RefreshError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::fmt::Display for RefreshError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for RefreshError {}

/// What went wrong: each kind has a stable name ([`name`](Self::name)).
#[derive(Clone, Debug, thiserror::Error)]
pub enum ErrorKind {
    /// The lock was not granted within the timeout.
    #[error("timed out after {timeout_ms} ms waiting for the refresh lock of this session")]
    LockTimeout {
        /// The timeout that elapsed.
        timeout_ms: u32,
    },

    /// The caller's `AbortSignal` aborted the wait for the lock.
    #[error("the wait for the refresh lock was aborted")]
    Aborted {
        /// The signal's reason.
        cause: Option<Cause>,
    },

    /// The session store (IndexedDB) failed.
    #[error("the session store failed: {message}")]
    Store {
        /// What failed.
        message: String,
        /// The underlying `DOMException`.
        cause: Option<Cause>,
    },

    /// This environment cannot provide what was asked for.
    #[error("{message}")]
    NotSupported {
        /// What is missing and why.
        message: String,
        /// The underlying exception, if any.
        cause: Option<Cause>,
    },

    /// The stored record cannot be read as a session hash.
    #[error("the stored session hash is unreadable ({reason}); {}", Remedy::LogOut.text())]
    InvalidPreviousHash {
        /// What is wrong with the record.
        reason: String,
    },

    /// Another context wrote the session after this guard read it, so this
    /// guard's write was refused and nothing was written.
    #[error(
        "the stored session changed since this guard read it (generation {expected}, now {found}); nothing was written, reload the stored tokens"
    )]
    Fenced {
        /// The generation this guard read.
        expected: u64,
        /// The generation found at write time.
        found: u64,
    },

    /// An argument has the wrong type or an unusable value.
    #[error("{0}")]
    InvalidArgument(String),

    /// The manager was closed.
    #[error("this manager is closed; {}", Remedy::OpenAnother.text())]
    Closed,

    /// The guard was released; its lock is gone.
    #[error(
        "this guard was released and no longer holds the lock; {}",
        Remedy::LockAgain.text()
    )]
    GuardReleased,

    /// A callback supplied by the application failed.
    #[error("the {callback}() callback failed{}", if tokens.is_some() { "; the server issued new tokens, which this error carries: persist them, the old refresh token is spent" } else { "" })]
    Callback {
        /// Which callback.
        callback: &'static str,
        /// What it threw or rejected with.
        cause: Option<Cause>,
        /// Tokens the server issued that the application has not persisted
        /// (a failed `save` after a successful network refresh); the value
        /// the `refresh` handler returned, opaque here.
        tokens: Option<Cause>,
    },

    /// The session was logged out (in this context or another) after this
    /// context learned its tokens: nothing was refreshed or written (a
    /// refresh that failed may have called the server), and the known hash
    /// is forgotten. A new login (restore the new tokens) starts over.
    #[error(
        "the session was logged out after this context learned its tokens; nothing was refreshed or written, log in again"
    )]
    LoggedOut,

    /// The session was logged out (in any context) after the server issued
    /// this refresh's new tokens: the application's `save` callback got
    /// them, but they are the logged-out session's (the store holds the
    /// logout). JavaScript sees a `LoggedOutError` with `tokens`.
    #[error(
        "the session was logged out during this refresh: the new tokens given to the save callback belong to the logged-out session; remove them from the app's storage if it still holds them, and log in again"
    )]
    LoggedOutDuringRefresh {
        /// The tokens, as the `refresh` handler returned them (opaque here).
        tokens: Cause,
    },

    /// The tokens to adopt are the ones this context already knew, but
    /// another context has stored newer ones: the application's token
    /// storage has not caught up (it reaches other contexts late, or is not
    /// shared). Nothing was written: writing those tokens' hash back would
    /// undo the other context's refresh. A refresh reloads for a while
    /// before it fails with this.
    #[error(
        "the tokens to adopt are the ones this context already knew, but another context has stored newer ones: the app's token storage has not caught up; nothing was written. Keep tokens where every context reads the latest ones (localStorage, IndexedDB), not per context (sessionStorage, memory)"
    )]
    StaleTokens,

    /// A refresh callback called back into the refresh it is part of, which
    /// could only wait for itself.
    #[error(
        "a refresh handler started a refresh of its own manager, which would wait for itself; {}",
        Remedy::ReturnTokens.text()
    )]
    Reentrant,
}

impl ErrorKind {
    /// The stable name JavaScript sees as `error.name`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::LockTimeout { .. } => "LockTimeoutError",
            Self::Aborted { .. } => "AbortError",
            Self::Store { .. } => "StoreError",
            Self::NotSupported { .. } => "NotSupportedError",
            Self::InvalidPreviousHash { .. } => "InvalidPreviousHashError",
            Self::Fenced { .. } => "FencedError",
            Self::InvalidArgument(_) => "InvalidArgumentError",
            Self::Closed => "ClosedError",
            Self::GuardReleased => "GuardReleasedError",
            Self::Callback { .. } => "CallbackError",
            Self::LoggedOut | Self::LoggedOutDuringRefresh { .. } => "LoggedOutError",
            Self::StaleTokens => "StaleTokensError",
            Self::Reentrant => "ReentrancyError",
        }
    }

    /// The one thing to do about this error, if there is one; the message
    /// then ends with its [`Remedy::text`].
    pub fn remedy(&self) -> Option<Remedy> {
        match self {
            Self::InvalidPreviousHash { .. } => Some(Remedy::LogOut),
            Self::Closed => Some(Remedy::OpenAnother),
            Self::GuardReleased => Some(Remedy::LockAgain),
            Self::Reentrant => Some(Remedy::ReturnTokens),
            _ => None,
        }
    }

    /// The underlying failure, if one was recorded.
    pub fn cause(&self) -> Option<&Cause> {
        match self {
            Self::Aborted { cause }
            | Self::Store { cause, .. }
            | Self::NotSupported { cause, .. }
            | Self::Callback { cause, .. } => cause.as_ref(),
            _ => None,
        }
    }

    /// The tokens a failed `save` left unpersisted, as the `refresh` handler
    /// returned them (type `T`), if this error carries any.
    pub fn unsaved_tokens<T: Any>(&self) -> Option<&T> {
        match self {
            Self::Callback {
                tokens: Some(tokens),
                ..
            } => tokens.downcast_ref(),
            _ => None,
        }
    }

    /// The tokens a refresh got before a logout came during it (type `T`, as
    /// the `refresh` handler returned them): `save` has stored them, and
    /// they are the logged-out session's.
    pub fn ended_tokens<T: Any>(&self) -> Option<&T> {
        match self {
            Self::LoggedOutDuringRefresh { tokens } => tokens.downcast_ref(),
            _ => None,
        }
    }
}
