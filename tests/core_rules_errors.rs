//! The core's errors on the host: their names, their causes, a cause's
//! `Debug`, and their messages: each names no API call, and a remedy, where
//! there is one, ends the message (so that an API layer can name it in its
//! own terms).
#![cfg(not(target_arch = "wasm32"))]

use cross_tab_refresh::core::{RefreshError, Remedy};

#[test]
fn error_names_causes_and_debug() {
    use cross_tab_refresh::core::Cause;
    let cause = || Some(Cause::new(7u8));
    let with_cause = [
        RefreshError::Aborted { cause: cause() },
        RefreshError::Store {
            message: "m".to_owned(),
            cause: cause(),
        },
        RefreshError::NotSupported {
            message: "m".to_owned(),
            cause: cause(),
        },
        RefreshError::Callback {
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
    assert!(RefreshError::LoggedOut.cause().is_none());
    assert_eq!(format!("{:?}", Cause::new(1)), "Cause(..)");
    let names: Vec<&str> = [
        RefreshError::LockTimeout { timeout_ms: 1 },
        RefreshError::InvalidPreviousHash {
            reason: String::new(),
        },
        RefreshError::Fenced {
            expected: 1,
            found: 2,
        },
        RefreshError::invalid_argument("x"),
        RefreshError::Closed,
        RefreshError::GuardReleased,
        RefreshError::LoggedOut,
        RefreshError::LoggedOutDuringRefresh,
        RefreshError::Reentrant,
        RefreshError::StaleTokens,
    ]
    .iter()
    .map(RefreshError::name)
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

fn every_error() -> Vec<RefreshError> {
    vec![
        RefreshError::LockTimeout { timeout_ms: 5 },
        RefreshError::Aborted { cause: None },
        RefreshError::Store {
            message: "reading the session record: AbortError".to_owned(),
            cause: None,
        },
        RefreshError::NotSupported {
            message: "no IndexedDB".to_owned(),
            cause: None,
        },
        RefreshError::InvalidPreviousHash {
            reason: "hash is a string".to_owned(),
        },
        RefreshError::Fenced {
            expected: 1,
            found: 2,
        },
        RefreshError::invalid_argument("session must be a string"),
        RefreshError::Closed,
        RefreshError::GuardReleased,
        RefreshError::Callback {
            callback: "save",
            cause: None,
            tokens: None,
        },
        RefreshError::LoggedOut,
        RefreshError::LoggedOutDuringRefresh,
        RefreshError::Reentrant,
    ]
}

#[test]
fn a_remedy_ends_its_message_and_the_rest_says_what_happened() {
    let mut with_remedy = 0;
    for error in every_error() {
        let message = error.to_string();
        let Some(remedy) = error.remedy() else {
            continue;
        };
        with_remedy += 1;
        let what = message
            .strip_suffix(remedy.text())
            .unwrap_or_else(|| panic!("{message:?} does not end with {:?}", remedy.text()));
        assert!(what.ends_with("; "), "{message:?}");
        assert!(what.len() > 10, "{message:?} says what happened");
    }
    assert_eq!(
        with_remedy, 4,
        "unreadable record, closed, released, re-entrant"
    );
}

#[test]
fn remedies_are_the_ones_each_error_calls_for() {
    assert_eq!(
        RefreshError::InvalidPreviousHash {
            reason: String::new()
        }
        .remedy(),
        Some(Remedy::LogOut)
    );
    assert_eq!(RefreshError::Closed.remedy(), Some(Remedy::OpenAnother));
    assert_eq!(
        RefreshError::GuardReleased.remedy(),
        Some(Remedy::LockAgain)
    );
    assert_eq!(RefreshError::Reentrant.remedy(), Some(Remedy::ReturnTokens));
    assert_eq!(RefreshError::LoggedOut.remedy(), None);
}

#[test]
fn no_message_names_a_call_of_either_api() {
    for error in every_error() {
        let message = error.to_string();
        for call in [
            "()",
            "onLogout",
            "spinLock",
            "on_logout",
            "spin_lock",
            "CrossTabRefreshManager",
        ] {
            if call == "()" && matches!(error, RefreshError::Callback { .. }) {
                continue; // names the app's own callback: "the save() callback failed"
            }
            assert!(!message.contains(call), "{message:?} names {call}");
        }
    }
}
