//! The Rust API, as a Rust/wasm app (a matrix-rust-sdk web build, say) uses
//! it: `open_session`, the guard, and the refresh flow with Rust handlers.
//! This file is the example the README points to.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use cross_tab_refresh::core::{
    ErrorKind, RefreshError, RefreshHandlers, RefreshOutcome, SessionTokens,
};
use cross_tab_refresh::web::{LockChoice, LockOptions, SessionConfig, open_session};
use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

use crate::support::*;

/// The app's side: a token endpoint (counting its calls) and shared storage.
struct App {
    storage: Rc<RefCell<SessionTokens>>,
    calls: Rc<Cell<u32>>,
}

impl RefreshHandlers for App {
    type Tokens = SessionTokens;

    async fn refresh(&self) -> Result<SessionTokens, RefreshError> {
        self.calls.set(self.calls.get() + 1);
        sleep(20).await; // the network
        let n = self.calls.get();
        Ok(SessionTokens::new(
            format!("secret-access-{n}"),
            Some(format!("secret-refresh-{n}")),
        ))
    }

    async fn reload(&self) -> Result<SessionTokens, RefreshError> {
        Ok(self.storage.borrow().clone())
    }

    async fn save(&self, tokens: &SessionTokens) -> Result<(), RefreshError> {
        *self.storage.borrow_mut() = tokens.clone();
        Ok(())
    }
}

fn config(session: &Session, lock: LockChoice) -> SessionConfig {
    let mut config = SessionConfig::new(session.session.clone());
    config.database_name = session.database.clone();
    config.lock = lock;
    config
}

#[wasm_bindgen_test]
async fn rust_managers_refresh_once_with_either_lock() {
    for lock in [LockChoice::WebLocks, LockChoice::Lease] {
        let session = Session::new();
        let first = SessionTokens::new("secret-access-0", Some("secret-refresh-0".to_owned()));
        let storage = Rc::new(RefCell::new(first.clone()));
        let calls = Rc::new(Cell::new(0));
        let mut managers = Vec::new();
        for _ in 0..3 {
            let manager = open_session(config(&session, lock)).await.unwrap();
            manager.restore_session(&first).await.unwrap();
            managers.push(manager);
        }
        let apps: Vec<App> = managers
            .iter()
            .map(|_| App {
                storage: storage.clone(),
                calls: calls.clone(),
            })
            .collect();
        let flows = managers
            .iter()
            .zip(&apps)
            .map(|(m, app)| m.refresh(LockOptions::waiting(5_000), app));
        let results = futures::future::join_all(flows).await;
        assert_eq!(calls.get(), 1, "{lock:?}: one network refresh");
        let outcomes: Vec<RefreshOutcome> = results.into_iter().map(|r| r.unwrap().0).collect();
        assert_eq!(
            outcomes
                .iter()
                .filter(|o| **o == RefreshOutcome::Adopted)
                .count(),
            2,
            "{lock:?}"
        );
        let hashes: Vec<_> = managers.iter().map(|m| m.known_session_hash()).collect();
        assert!(hashes.iter().all(|h| h.is_some() && *h == hashes[0]));
    }
}

#[wasm_bindgen_test]
async fn rust_guard_and_typed_errors() {
    let session = Session::new();
    let (a, b) = (
        open_session(config(&session, LockChoice::Auto))
            .await
            .unwrap(),
        open_session(config(&session, LockChoice::Auto))
            .await
            .unwrap(),
    );
    let guard = a.spin_lock(LockOptions::waiting(1_000)).await.unwrap();
    let error = b.spin_lock(LockOptions::waiting(100)).await.err().unwrap();
    assert!(matches!(
        error.kind(),
        ErrorKind::LockTimeout { timeout_ms: 100 }
    ));
    assert_eq!(error.name(), "LockTimeoutError");
    guard
        .save_in_memory_and_db(&SessionTokens::new("secret-a", None))
        .await
        .unwrap();
    drop(guard);
    let guard = b.spin_lock(LockOptions::waiting(1_000)).await.unwrap();
    assert!(guard.hash_mismatch());
}

#[wasm_bindgen_test]
async fn lock_state_tells_who_holds_and_who_waits() {
    let session = Session::new();
    let (a, b) = (session.open().await, session.open().await);
    let state = |m: &cross_tab_refresh::api::CrossTabRefreshManager| JsFuture::from(m.lock_state());
    let free = state(&a).await.unwrap();
    assert_eq!(Reflect::get(&free, &s("held")).unwrap(), JsValue::FALSE);
    assert_eq!(Reflect::get(&free, &s("kind")).unwrap(), s("web-locks"));
    let guard = lock_now(&a).await;
    let _waiting = b.spin_lock(Some(obj(&[("timeoutMs", JsValue::from(2000))])));
    sleep(30).await;
    let held = state(&a).await.unwrap();
    assert_eq!(Reflect::get(&held, &s("held")).unwrap(), JsValue::TRUE);
    assert_eq!(
        Reflect::get(&held, &s("heldByThisManager")).unwrap(),
        JsValue::TRUE
    );
    assert_eq!(
        Reflect::get(&held, &s("waiting")).unwrap().as_f64(),
        Some(1.0)
    );
    // One holder: its client ID, a string, in an array.
    let holders = Reflect::get(&held, &s("holders")).unwrap();
    assert!(js_sys::Array::is_array(&holders), "{holders:?}");
    let holders = js_sys::Array::from(&holders);
    assert_eq!(holders.length(), 1);
    assert!(holders.get(0).as_string().is_some_and(|id| !id.is_empty()));
    let seen_by_b = state(&b).await.unwrap();
    assert_eq!(
        Reflect::get(&seen_by_b, &s("heldByThisManager")).unwrap(),
        JsValue::FALSE
    );
    guard.release();

    // The lease lock tells the holder's name and the expiry; waiters are unknown.
    let lease = obj(&[
        ("session", s(&session.session)),
        ("databaseName", s(&session.database)),
        ("lock", s("lease")),
        ("holder", s("tab-one")),
    ]);
    let c = open(lease).await.unwrap();
    let _held = lock_now(&c).await;
    let lease_state = state(&c).await.unwrap();
    assert_eq!(Reflect::get(&lease_state, &s("kind")).unwrap(), s("lease"));
    assert_eq!(
        Reflect::get(&lease_state, &s("heldByThisManager")).unwrap(),
        JsValue::TRUE
    );
    assert!(Reflect::get(&lease_state, &s("waiting")).unwrap().is_null());
    let holders = Reflect::get(&lease_state, &s("holders")).unwrap();
    assert!(js_sys::Array::is_array(&holders), "{holders:?}");
    let holder = js_sys::Array::from(&holders).get(0).as_string().unwrap();
    assert!(holder.starts_with("tab-one"), "{holder}");
    assert!(
        Reflect::get(&lease_state, &s("expiresAt"))
            .unwrap()
            .as_f64()
            .unwrap()
            > js_sys::Date::now()
    );
}

#[wasm_bindgen_test]
async fn a_save_dropped_while_its_transaction_is_open_writes_nothing() {
    // 1. A save is polled until its transaction has asked for the record.
    // 2. The save is dropped before the read's answer comes back.
    // 3. Nothing is written, nothing panics, and the guard saves afterwards.
    let session = Session::new();
    let manager = open_session(config(&session, LockChoice::WebLocks))
        .await
        .unwrap();
    let guard = manager
        .spin_lock(LockOptions::waiting(1_000))
        .await
        .unwrap();
    let reads = || {
        Reflect::get(&js_sys::global(), &s("recordReads"))
            .unwrap()
            .as_f64()
            .unwrap_or(0.0)
    };
    let restore = inject("get counts its calls");
    let before = reads();
    let tokens = SessionTokens::new("secret-a", None);
    let mut save = Box::pin(guard.save_in_memory_and_db(&tokens));
    for _ in 0..50 {
        assert!(futures::poll!(&mut save).is_pending());
        if reads() > before {
            break;
        }
    }
    restore.call0(&JsValue::NULL).unwrap();
    assert_eq!(reads(), before + 1.0, "the transaction read the record");
    drop(save);
    assert!(
        raw_record(&session.database, &session.session)
            .await
            .is_undefined(),
        "nothing written"
    );
    assert!(manager.known_session_hash().is_none(), "memory unchanged");
    guard.save_in_memory_and_db(&tokens).await.unwrap();
    assert!(
        !raw_record(&session.database, &session.session)
            .await
            .is_undefined()
    );
}
