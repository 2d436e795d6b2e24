//! The kinds of [`RefreshError`](super::RefreshError): each one's message,
//! stable name, remedy and what it carries.

use std::any::Any;

use super::{CARRIES_TOKENS, Cause, Remedy};
use crate::core::text::{decimal, join};

/// What went wrong: each kind has a stable name ([`name`](Self::name)).
#[derive(Clone, Debug, thiserror::Error)]
pub enum ErrorKind {
    /// The lock was not granted within the timeout.
    LockTimeout {
        /// The timeout that elapsed.
        timeout_ms: u32,
    },

    /// The caller's `AbortSignal` aborted the wait for the lock.
    Aborted {
        /// The signal's reason.
        cause: Option<Cause>,
    },

    /// The session store (IndexedDB) failed.
    Store {
        /// What failed.
        message: String,
        /// The underlying `DOMException`.
        cause: Option<Cause>,
    },

    /// This environment cannot provide what was asked for.
    NotSupported {
        /// What is missing and why.
        message: String,
        /// The underlying exception, if any.
        cause: Option<Cause>,
    },

    /// The stored record cannot be read as a session hash.
    InvalidPreviousHash {
        /// What is wrong with the record.
        reason: String,
    },

    /// Another context wrote the session after this guard read it, so this
    /// guard's write was refused and nothing was written.
    Fenced {
        /// The generation this guard read.
        expected: u64,
        /// The generation found at write time.
        found: u64,
    },

    /// An argument has the wrong type or an unusable value.
    InvalidArgument(String),

    /// The manager was closed.
    Closed,

    /// The guard was released; its lock is gone.
    GuardReleased,

    /// A callback supplied by the application failed.
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
    /// refresh that failed may have called the server). Where the store
    /// still holds the logout, the known hash is forgotten; after a new
    /// login, only the new login's hash may be adopted. A new login
    /// (restore the new tokens) starts over.
    LoggedOut,

    /// The session was logged out (in any context) after the server issued
    /// this refresh's new tokens: the application's `save` callback got
    /// them, but they are the logged-out session's (the store holds the
    /// logout, or a new login after it). JavaScript sees a `LoggedOutError`
    /// with `tokens`.
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
    StaleTokens,

    /// A refresh callback called back into the refresh it is part of, which
    /// could only wait for itself.
    Reentrant,
}

impl ErrorKind {
    /// The message (what `Display` writes), joined from its parts rather
    /// than formatted (see [`crate::core::text`]).
    pub fn message(&self) -> String {
        match self {
            Self::LockTimeout { timeout_ms } => join(&[
                "timed out after ",
                &decimal((*timeout_ms).into()),
                " ms waiting for the refresh lock of this session",
            ]),
            Self::Aborted { .. } => "the wait for the refresh lock was aborted".to_owned(),
            Self::Store { message, .. } => join(&["the session store failed: ", message]),
            Self::NotSupported { message, .. } | Self::InvalidArgument(message) => message.clone(),
            Self::InvalidPreviousHash { reason } => join(&[
                "the stored session hash is unreadable (",
                reason,
                "); ",
                Remedy::LogOut.text(),
            ]),
            Self::Fenced { expected, found } => join(&[
                "the stored session changed since this guard read it (generation ",
                &decimal(*expected),
                ", now ",
                &decimal(*found),
                "); nothing was written, reload the stored tokens",
            ]),
            Self::Closed => join(&["this manager is closed; ", Remedy::OpenAnother.text()]),
            Self::GuardReleased => join(&[
                "this guard was released and no longer holds the lock; ",
                Remedy::LockAgain.text(),
            ]),
            Self::Callback {
                callback, tokens, ..
            } => {
                let note = if tokens.is_some() { CARRIES_TOKENS } else { "" };
                join(&["the ", callback, "() callback failed", note])
            }
            Self::LoggedOut => "the session was logged out after this context learned its tokens; nothing was refreshed or written, log in again".to_owned(),
            Self::LoggedOutDuringRefresh { .. } => "the session was logged out during this refresh: the new tokens given to the save callback belong to the logged-out session; remove them from the app's storage if it still holds them, and log in again".to_owned(),
            Self::StaleTokens => "the tokens to adopt are the ones this context already knew, but another context has stored newer ones: the app's token storage has not caught up; nothing was written. Keep tokens where every context reads the latest ones (localStorage, IndexedDB), not per context (sessionStorage, memory)".to_owned(),
            Self::Reentrant => join(&[
                "a refresh handler started a refresh of its own manager, which would wait for itself; ",
                Remedy::ReturnTokens.text(),
            ]),
        }
    }

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

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}
