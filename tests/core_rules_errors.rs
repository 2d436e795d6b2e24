//! The core's errors on the host: their names, their causes, a cause's
//! `Debug`, and what an error is (one pointer to its kind). Their messages
//! are in `core_rules_messages.rs`.
#![cfg(not(target_arch = "wasm32"))]

use cross_tab_refresh::core::{Cause, ErrorKind, RefreshError};

#[test]
fn error_names_causes_and_debug() {
    let cause = || Some(Cause::new(7u8));
    let with_cause = [
        ErrorKind::Aborted { cause: cause() },
        ErrorKind::Store {
            message: "m".to_owned(),
            cause: cause(),
        },
        ErrorKind::NotSupported {
            message: "m".to_owned(),
            cause: cause(),
        },
        ErrorKind::Callback {
            callback: "save",
            cause: cause(),
            tokens: None,
        },
    ];
    for error in &with_cause {
        assert_eq!(
            error.cause().and_then(|c| c.downcast_ref::<u8>()),
            Some(&7),
            "{}",
            error.name()
        );
    }
    assert!(ErrorKind::LoggedOut.cause().is_none());
    assert_eq!(format!("{:?}", Cause::new(1)), "Cause(..)");
    let names: Vec<&str> = [
        ErrorKind::LockTimeout { timeout_ms: 1 },
        ErrorKind::InvalidPreviousHash {
            reason: String::new(),
        },
        ErrorKind::Fenced {
            expected: 1,
            found: 2,
        },
        ErrorKind::InvalidArgument("x".to_owned()),
        ErrorKind::Closed,
        ErrorKind::GuardReleased,
        ErrorKind::LoggedOut,
        ErrorKind::LoggedOutDuringRefresh {
            tokens: Cause::new(()),
        },
        ErrorKind::Reentrant,
        ErrorKind::StaleTokens,
    ]
    .iter()
    .map(ErrorKind::name)
    .collect();
    assert_eq!(
        names,
        [
            "LockTimeoutError",
            "InvalidPreviousHashError",
            "FencedError",
            "InvalidArgumentError",
            "ClosedError",
            "GuardReleasedError",
            "LoggedOutError",
            "LoggedOutError",
            "ReentrancyError",
            "StaleTokensError"
        ]
    );
}

/// An error is one pointer to its kind, so that every `Result` stays small
/// (in the `.wasm`, less code moves it), and shows what its kind shows.
#[test]
fn an_error_is_one_pointer_to_its_kind() {
    assert_eq!(size_of::<RefreshError>(), size_of::<usize>());
    assert_eq!(size_of::<Result<(), RefreshError>>(), size_of::<usize>());
    let error = RefreshError::from(ErrorKind::Fenced {
        expected: 1,
        found: 2,
    });
    assert_eq!(error.name(), "FencedError");
    assert_eq!(error.to_string(), error.kind().to_string());
    assert_eq!(format!("{error:?}"), format!("{:?}", error.kind()));
    assert!(matches!(
        error.into_kind(),
        ErrorKind::Fenced {
            expected: 1,
            found: 2
        }
    ));
    // With std's Error trait in scope, cause() is still this crate's.
    #[allow(unused_imports)]
    use std::error::Error as _;
    let failed = RefreshError::from(ErrorKind::Aborted {
        cause: Some(Cause::new(7u8)),
    });
    assert_eq!(
        failed.cause().and_then(|c| c.downcast_ref::<u8>()),
        Some(&7)
    );
    let invalid = RefreshError::invalid_argument("x");
    assert!(matches!(invalid.kind(), ErrorKind::InvalidArgument(m) if m == "x"));
}
