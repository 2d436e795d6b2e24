//! The core's error messages on the host: each kind's message word for word,
//! none names a call of either API, and a remedy, where there is one, ends
//! the message (so that an API layer can name it in its own terms).
#![cfg(not(target_arch = "wasm32"))]

use cross_tab_refresh::core::{Cause, ErrorKind, RefreshError, Remedy};

fn every_error() -> Vec<ErrorKind> {
    vec![
        ErrorKind::LockTimeout { timeout_ms: 5 },
        ErrorKind::Aborted { cause: None },
        ErrorKind::Store {
            message: "reading the session record: AbortError".to_owned(),
            cause: None,
        },
        ErrorKind::NotSupported {
            message: "no IndexedDB".to_owned(),
            cause: None,
        },
        ErrorKind::InvalidPreviousHash {
            reason: "hash is a string".to_owned(),
        },
        ErrorKind::Fenced {
            expected: 1,
            found: 2,
        },
        ErrorKind::InvalidArgument("session must be a string".to_owned()),
        ErrorKind::Closed,
        ErrorKind::GuardReleased,
        ErrorKind::Callback {
            callback: "save",
            cause: None,
            tokens: None,
        },
        ErrorKind::LoggedOut,
        ErrorKind::LoggedOutDuringRefresh {
            tokens: Cause::new(()),
        },
        ErrorKind::Reentrant,
    ]
}

/// Each kind's message, word for word (they are joined from their parts,
/// not formatted: a part left out or doubled shows here), as `Display`
/// writes it and as the API layers read it.
#[test]
fn every_message_word_for_word() {
    let cases = [
        (
            ErrorKind::LockTimeout { timeout_ms: 60_000 },
            "timed out after 60000 ms waiting for the refresh lock of this session",
        ),
        (
            ErrorKind::Aborted { cause: None },
            "the wait for the refresh lock was aborted",
        ),
        (
            ErrorKind::Store {
                message: "reading the session record: AbortError".to_owned(),
                cause: None,
            },
            "the session store failed: reading the session record: AbortError",
        ),
        (
            ErrorKind::NotSupported {
                message: "no IndexedDB".to_owned(),
                cause: None,
            },
            "no IndexedDB",
        ),
        (
            ErrorKind::InvalidPreviousHash {
                reason: "hash is a string".to_owned(),
            },
            "the stored session hash is unreadable (hash is a string); logging out replaces it with an empty record",
        ),
        (
            ErrorKind::Fenced {
                expected: 9_007_199_254_740_991,
                found: 10,
            },
            "the stored session changed since this guard read it (generation 9007199254740991, now 10); nothing was written, reload the stored tokens",
        ),
        (
            ErrorKind::InvalidArgument("session must be a string".to_owned()),
            "session must be a string",
        ),
        (
            ErrorKind::Closed,
            "this manager is closed; open a new manager to go on",
        ),
        (
            ErrorKind::GuardReleased,
            "this guard was released and no longer holds the lock; take the lock again for a new guard",
        ),
        (
            ErrorKind::Callback {
                callback: "reload",
                cause: None,
                tokens: None,
            },
            "the reload() callback failed",
        ),
        (
            ErrorKind::Callback {
                callback: "save",
                cause: None,
                tokens: Some(Cause::new(())),
            },
            "the save() callback failed; the server issued new tokens, which this error carries: persist them, the old refresh token is spent",
        ),
        (
            ErrorKind::LoggedOut,
            "the session was logged out after this context learned its tokens; nothing was refreshed or written, log in again",
        ),
        (
            ErrorKind::LoggedOutDuringRefresh {
                tokens: Cause::new(()),
            },
            "the session was logged out during this refresh: the new tokens given to the save callback belong to the logged-out session; remove them from the app's storage if it still holds them, and log in again",
        ),
        (
            ErrorKind::StaleTokens,
            "the tokens to adopt are the ones this context already knew, but another context has stored newer ones: the app's token storage has not caught up; nothing was written. Keep tokens where every context reads the latest ones (localStorage, IndexedDB), not per context (sessionStorage, memory)",
        ),
        (
            ErrorKind::Reentrant,
            "a refresh handler started a refresh of its own manager, which would wait for itself; return tokens from the handler instead",
        ),
    ];
    for (kind, message) in cases {
        assert_eq!(kind.to_string(), message);
        assert_eq!(RefreshError::from(kind).kind_message(), message);
    }
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
        ErrorKind::InvalidPreviousHash {
            reason: String::new()
        }
        .remedy(),
        Some(Remedy::LogOut)
    );
    assert_eq!(ErrorKind::Closed.remedy(), Some(Remedy::OpenAnother));
    assert_eq!(ErrorKind::GuardReleased.remedy(), Some(Remedy::LockAgain));
    assert_eq!(ErrorKind::Reentrant.remedy(), Some(Remedy::ReturnTokens));
    assert_eq!(ErrorKind::LoggedOut.remedy(), None);
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
            if call == "()" && matches!(error, ErrorKind::Callback { .. }) {
                continue; // names the app's own callback: "the save() callback failed"
            }
            assert!(!message.contains(call), "{message:?} names {call}");
        }
    }
}
