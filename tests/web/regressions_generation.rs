//! Regression tests of generation edges, one per defect an independent
//! review found (each seen failing before its fix): a save at 2^53 − 1, a
//! bad record there logged out, and a logout over an unreadable generation;
//! and the same edge for the count of logouts (seen failing with the
//! tombstone's count over an unreadable record set to 1).

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

use crate::support::*;

const MAX_GENERATION: f64 = 9_007_199_254_740_991.0;

fn record(hash: JsValue, generation: JsValue) -> JsValue {
    obj(&[
        ("format", JsValue::from(1)),
        ("hash", hash),
        ("generation", generation),
    ])
}

fn hash_bytes() -> JsValue {
    js_sys::Uint8Array::new_with_length(32).into()
}

/// Item 8: a save at generation 2^53 − 1 leaves a readable record.
#[wasm_bindgen_test]
async fn a_save_at_the_largest_generation_stays_readable() {
    let session = Session::new();
    let tab = session.open().await;
    put_raw_record(
        &session.database,
        &session.session,
        &record(hash_bytes(), MAX_GENERATION.into()),
    )
    .await;
    let guard = lock_now(&tab).await;
    done(guard.save_in_memory_and_db(tokens("at-1", Some("rt-1"))))
        .await
        .unwrap();
    guard.release();
    let stored = JsFuture::from(tab.stored_state()).await;
    assert!(
        stored.is_ok(),
        "unreadable after the save: {}",
        describe(&stored.err().unwrap())
    );
}

/// Item 8: a bad record at 2^53 − 1 can still be logged out.
#[wasm_bindgen_test]
async fn a_bad_record_at_the_largest_generation_can_be_logged_out() {
    let session = Session::new();
    let tab = session.open().await;
    put_raw_record(
        &session.database,
        &session.session,
        &record(s("not bytes"), MAX_GENERATION.into()),
    )
    .await;
    done(tab.on_logout()).await.unwrap();
    let stored = JsFuture::from(tab.stored_state()).await.unwrap();
    assert!(field(&stored, "dbHash").is_null());
}

/// Item 8: a logout over a record whose generation cannot be read does not
/// go back to generation 1, where a stale guard would write over it.
#[wasm_bindgen_test]
async fn a_logout_over_an_unreadable_generation_fences_a_stale_guard() {
    let session = Session::new();
    let a = session.open().await;
    let b = session.open().await;
    // 1. a stores at generation 1, then takes the lock again and stalls.
    let first = lock_now(&a).await;
    done(first.save_in_memory_and_db(tokens("at-0", Some("rt-0"))))
        .await
        .unwrap();
    first.release();
    let stale = lock_now(&a).await;
    assert!(!stale.db_hash().is_null());
    // 2. b steals the lock and stores at generation 2.
    let steal = obj(&[("steal", JsValue::TRUE)]);
    let thief = lock(&b, steal).await.unwrap();
    done(thief.save_in_memory_and_db(tokens("at-1", Some("rt-1"))))
        .await
        .unwrap();
    thief.release();
    // 3. Someone garbles the generation, and b logs out.
    // 4. a's late write must not land on the logout.
    put_raw_record(
        &session.database,
        &session.session,
        &record(hash_bytes(), s("garbled")),
    )
    .await;
    done(b.on_logout()).await.unwrap();
    let late = done(stale.save_in_memory_and_db(tokens("at-0", Some("rt-0")))).await;
    assert_error(late, "FencedError");
}

/// A logout over a record whose count of logouts cannot be read writes the
/// largest count, so that a context that learned its tokens at any count
/// sees it, also after a new login carried that count on.
#[wasm_bindgen_test]
async fn a_logout_over_an_unreadable_count_is_seen_after_a_new_login() {
    let session = Session::new();
    let a = session.open().await;
    let b = session.open().await;
    // 1. a logs in, logs out and logs in again: it learns count 1.
    for (access, refresh) in [("at-0", "rt-0"), ("at-1", "rt-1")] {
        let guard = lock_now(&a).await;
        done(guard.save_in_memory_and_db(tokens(access, Some(refresh))))
            .await
            .unwrap();
        guard.release();
        if access == "at-0" {
            done(a.on_logout()).await.unwrap();
        }
    }
    // 2. Someone garbles the count, and b logs out over it.
    let garbled = obj(&[
        ("format", JsValue::from(1)),
        ("hash", hash_bytes()),
        ("generation", JsValue::from(3)),
        ("logouts", s("garbled")),
    ]);
    put_raw_record(&session.database, &session.session, &garbled).await;
    done(b.on_logout()).await.unwrap();
    let logouts = |record: &JsValue| field(record, "logouts").as_f64();
    let stored = raw_record(&session.database, &session.session).await;
    assert_eq!(logouts(&stored), Some(f64::from(u32::MAX)));
    // 3. b logs in anew; the count is carried on.
    let guard = lock_now(&b).await;
    done(guard.save_in_memory_and_db(tokens("at-2", Some("rt-2"))))
        .await
        .unwrap();
    guard.release();
    // 4. a, which learned count 1, may not write other tokens over it.
    let guard = lock_now(&a).await;
    let late = done(guard.handle_mismatch(tokens("at-1b", Some("rt-1b")))).await;
    guard.release();
    assert_error(late, "LoggedOutError");
}
