//! The one error type of the crate, with the stable names JavaScript sees.
//! Messages name no call of either API (JavaScript or Rust): they say what
//! happened and what to do in words both can follow. Where what to do is one
//! call, it is a [`Remedy`], which an API layer may name in its own terms.

use std::any::Any;
use std::rc::Rc;

mod kind;

pub use kind::ErrorKind;

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

/// What the message of an error that carries issued tokens ends with.
const CARRIES_TOKENS: &str = "; the server issued new tokens, which this error carries: persist them, the old refresh token is spent";

/// Everything that can go wrong while coordinating a refresh: one pointer
/// to its [`ErrorKind`] (which it dereferences to), so that every `Result`
/// of the crate stays small (the `.wasm` moves it around less), and to the
/// tokens the server issued before it went wrong, where it did. Clones
/// share the error (a single-flight refresh hands one result to every
/// caller): cloning one copies no message or cause, and links no copy of
/// every kind into the `.wasm`.
#[derive(Clone)]
pub struct RefreshError(Rc<Inner>);

struct Inner {
    kind: Rc<ErrorKind>,
    /// Tokens the server issued before this error, not carried by the kind.
    issued: Option<Cause>,
}

impl RefreshError {
    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// What went wrong, by value (a copy of it if a clone of this error
    /// shares it).
    pub fn into_kind(self) -> ErrorKind {
        let kind = Rc::clone(&self.0.kind);
        drop(self);
        Rc::unwrap_or_clone(kind)
    }

    /// The tokens the server issued during the refresh this error ended
    /// (type `T`, as the `refresh` handler returned them), if it did: the
    /// old refresh token is spent, so keep them, unless the error is a
    /// logout during the refresh ([`ErrorKind::ended_tokens`]). A failed
    /// `save` ([`ErrorKind::unsaved_tokens`]), or any failure after the
    /// network call, carries them.
    pub fn issued_tokens<T: Any>(&self) -> Option<&T> {
        self.0
            .issued
            .as_ref()
            .and_then(Cause::downcast_ref)
            .or_else(|| self.unsaved_tokens())
            .or_else(|| self.ended_tokens())
    }

    /// This error, carrying `tokens` the server issued before it (for an
    /// error whose kind carries none).
    pub fn with_issued<T: Clone + 'static>(self, tokens: &T) -> Self {
        Self(Rc::new(Inner {
            kind: Rc::clone(&self.0.kind),
            issued: Some(Cause::new(tokens.clone())),
        }))
    }

    /// The message of the kind alone, without the issued tokens' note.
    pub fn kind_message(&self) -> String {
        self.0.kind.message()
    }

    /// The end of the message when the error carries issued tokens that its
    /// kind does not say it carries.
    pub fn issued_note(&self) -> &'static str {
        if self.0.issued.is_some() {
            CARRIES_TOKENS
        } else {
            ""
        }
    }

    /// The underlying failure, if one was recorded ([`ErrorKind::cause`]).
    /// Inherent, so that the deprecated `std::error::Error::cause` is never
    /// picked instead where that trait is in scope.
    pub fn cause(&self) -> Option<&Cause> {
        self.0.kind.cause()
    }

    /// Shorthand for an [`ErrorKind::InvalidArgument`].
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        ErrorKind::InvalidArgument(message.into()).into()
    }
}

impl From<ErrorKind> for RefreshError {
    fn from(kind: ErrorKind) -> Self {
        Self(Rc::new(Inner {
            kind: Rc::new(kind),
            issued: None,
        }))
    }
}

impl std::ops::Deref for RefreshError {
    type Target = ErrorKind;
    fn deref(&self) -> &ErrorKind {
        &self.0.kind
    }
}

impl std::fmt::Debug for RefreshError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.kind.fmt(f)
    }
}

impl std::fmt::Display for RefreshError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.kind.fmt(f)?;
        f.write_str(self.issued_note())
    }
}

impl std::error::Error for RefreshError {}
