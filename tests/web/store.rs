//! The store: what a save writes to IndexedDB, the count of logouts, the
//! hash, fencing of stale guards, unreadable records and a deleted database.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

use crate::support::*;
use crate::{hash_of, next, prev};

/// The record's count of logouts: a logout adds one, a save carries it on
/// (also the save of a new login, so that a context that knew the ended
/// session can tell).
#[wasm_bindgen_test]
async fn a_logout_counts_in_the_record_and_a_new_login_carries_it_on() {
    let session = Session::new();
    let tab = session.open().await;
    let logouts = || async {
        let record = raw_record(&session.database, &session.session).await;
        Reflect::get(&record, &s("logouts")).unwrap().as_f64()
    };
    let guard = lock_now(&tab).await;
    done(guard.save_in_memory_and_db(prev())).await.unwrap();
    guard.release();
    assert_eq!(logouts().await, Some(0.0));
    done(tab.on_logout()).await.unwrap();
    assert_eq!(logouts().await, Some(1.0));
    let guard = lock_now(&tab).await;
    done(guard.save_in_memory_and_db(next())).await.unwrap();
    guard.release();
    assert_eq!(logouts().await, Some(1.0));
    done(tab.on_logout()).await.unwrap();
    assert_eq!(logouts().await, Some(2.0));
}

#[wasm_bindgen_test]
async fn a_save_lands_in_indexeddb_with_a_growing_generation() {
    let session = Session::new();
    let tab = session.open().await;
    let guard = lock_now(&tab).await;
    done(guard.save_in_memory_and_db(prev())).await.unwrap();
    done(guard.save_in_memory_and_db(next())).await.unwrap();
    guard.release();

    let record = raw_record(&session.database, &session.session).await;
    let field = |key: &str| Reflect::get(&record, &s(key)).unwrap();
    assert_eq!(field("format").as_f64(), Some(1.0));
    assert_eq!(field("generation").as_f64(), Some(2.0));
    let bytes = field("hash").dyn_into::<Uint8Array>().unwrap().to_vec();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        format!("0x{hex}"),
        tab.known_session_hash().as_string().unwrap()
    );
    for key in ["accessToken", "refreshToken"] {
        assert!(field(key).is_undefined());
    }
    let text = js_sys::JSON::stringify(&record)
        .unwrap()
        .as_string()
        .unwrap();
    assert!(
        !text.contains("access-token") && !text.contains("refresh-token"),
        "{text}"
    );

    done(tab.on_logout()).await.unwrap();
    let record = raw_record(&session.database, &session.session).await;
    assert!(Reflect::get(&record, &s("hash")).unwrap().is_null());
    assert_eq!(
        Reflect::get(&record, &s("generation")).unwrap().as_f64(),
        Some(3.0)
    );
}

#[wasm_bindgen_test]
async fn hash_matches_the_seed() {
    // SHA-256("ab") and SHA-256("abc"), as computed by the seed's Rust.
    let session = Session::new();
    assert_eq!(
        hash_of(&session, tokens("a", Some("b"))).await,
        "0xfb8e20fc2e4c3f248c60c39bd652f3c1347298bb977b8b4d5903b85055620603"
    );
    assert_eq!(
        hash_of(&session, tokens("abc", None)).await,
        "0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        hash_of(&session, tokens("ab", None)).await,
        hash_of(&session, tokens("a", Some("b"))).await
    );
}

#[wasm_bindgen_test]
async fn a_stale_guard_is_fenced_after_a_steal() {
    // 1. Tab A takes the lock and hangs.
    // 2. Tab B steals the lock and saves new tokens.
    // 3. A's late save is refused with FencedError; the stored hash is B's.
    let session = Session::new();
    let (a, b) = (session.open().await, session.open().await);
    let guard_a = lock_now(&a).await;
    let guard_b = lock(&b, obj(&[("steal", JsValue::TRUE)])).await.unwrap();
    done(guard_b.save_in_memory_and_db(next())).await.unwrap();
    let error = assert_error(
        done(guard_a.save_in_memory_and_db(prev())).await,
        "FencedError",
    );
    assert!(message(&error).contains("generation"));
    guard_b.release();
    // A drops its stale guard (its turn in this tab), then catches up.
    guard_a.release();
    let guard = lock_now(&a).await;
    assert_eq!(
        guard.db_hash().as_string(),
        b.known_session_hash().as_string()
    );
}

#[wasm_bindgen_test]
async fn logout_fences_a_guard_held_elsewhere() {
    let session = Session::new();
    let (a, b) = (session.open().await, session.open().await);
    let guard = lock_now(&a).await;
    done(b.on_logout()).await.unwrap();
    assert_error(
        done(guard.save_in_memory_and_db(next())).await,
        "FencedError",
    );
    let record = raw_record(&session.database, &session.session).await;
    assert!(
        Reflect::get(&record, &s("hash")).unwrap().is_null(),
        "the session stays logged out"
    );
}

#[wasm_bindgen_test]
async fn an_unreadable_record_is_reported_and_logout_replaces_it() {
    let session = Session::new();
    let tab = session.open().await;
    for (bad, why) in [
        (s("not an object"), "not an object"),
        (
            obj(&[
                ("format", JsValue::from(1)),
                ("hash", s("0xabc")),
                ("generation", JsValue::from(1)),
            ]),
            "hash is a string",
        ),
        (
            obj(&[
                ("format", JsValue::from(1)),
                ("hash", Uint8Array::new_with_length(5).into()),
                ("generation", JsValue::from(1)),
            ]),
            "5 bytes",
        ),
        (
            obj(&[("format", JsValue::from(1)), ("hash", JsValue::NULL)]),
            "generation is missing",
        ),
        (
            obj(&[
                ("format", JsValue::from(2)),
                ("hash", JsValue::NULL),
                ("generation", JsValue::from(1)),
            ]),
            "newer",
        ),
    ] {
        put_raw_record(&session.database, &session.session, &bad).await;
        let error = assert_error(
            lock(&tab, JsValue::UNDEFINED).await,
            "InvalidPreviousHashError",
        );
        assert!(
            message(&error).contains(why),
            "{} should mention {why}",
            message(&error)
        );
        assert!(message(&error).contains("onLogout"));
    }
    done(tab.on_logout()).await.unwrap();
    let guard = lock_now(&tab).await;
    assert_eq!(guard.db_hash().as_string(), None);
    done(guard.save_in_memory_and_db(next())).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_deleted_database_is_not_blocked_and_comes_back() {
    let session = Session::new();
    let tab = session.open().await;
    let guard = lock_now(&tab).await;
    done(guard.save_in_memory_and_db(next())).await.unwrap();
    guard.release();
    delete_database(&session.database)
        .await
        .expect("the manager's connection must not block deletion");
    let guard = lock_now(&tab).await;
    assert_eq!(guard.db_hash().as_string(), None, "the store starts over");
    done(guard.save_in_memory_and_db(next())).await.unwrap();
    assert!(
        !raw_record(&session.database, &session.session)
            .await
            .is_undefined()
    );
}
