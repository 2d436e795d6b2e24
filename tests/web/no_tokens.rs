//! No token is stored or broadcast: every session record and lease
//! written, and every message on the session's channel, read raw during
//! refreshes, a held guard and a logout, with either lock.

use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

use crate::support::*;

/// A stored record as texts to search: as JSON, and each of its byte
/// fields (the hash) read as UTF-8, which JSON would spell as numbers.
fn texts_of(record: &JsValue) -> Vec<String> {
    // Nothing stored (no lease with Web Locks) is no text.
    let mut texts: Vec<String> = js_sys::JSON::stringify(record)
        .unwrap()
        .as_string()
        .into_iter()
        .collect();
    if record.is_object() {
        for key in js_sys::Object::keys(record.unchecked_ref::<js_sys::Object>()).iter() {
            if let Ok(bytes) =
                field(record, &key.as_string().unwrap()).dyn_into::<js_sys::Uint8Array>()
            {
                texts.push(String::from_utf8_lossy(&bytes.to_vec()).into_owned());
            }
        }
    }
    texts
}

/// Every session record written and every lease taken during refreshes, a
/// held guard and a logout, with `lock`, and every message on the
/// session's channel, read raw: none contains any part of a token.
async fn no_token_is_stored_or_broadcast_with(lock: &str) {
    let session = Session::new();
    let world = token_world(0);
    let options = session.options();
    js_sys::Reflect::set(&options, &s("lock"), &s(lock)).unwrap();
    let a = open(options.clone()).await.unwrap();
    let b = open(options).await.unwrap();
    let messages = sniff_channel(&session.lock_name());
    let mut seen = Vec::new();
    for tab in [&a, &b] {
        done(tab.restore_session(tokens("secret-access-0", Some("secret-refresh-0"))))
            .await
            .unwrap();
    }
    for tab in [&a, &b, &a] {
        refresh(tab, handlers_of(&world)).await.unwrap();
        seen.extend(texts_of(
            &raw_record(&session.database, &session.session).await,
        ));
    }
    let guard = lock_now(&b).await;
    let lease = raw_lease(&session.database, &session.lock_name()).await;
    assert_eq!(
        lease.is_object(),
        lock == "lease",
        "a lease record with the lease lock only"
    );
    seen.extend(texts_of(&lease));
    guard.release();
    done(b.on_logout()).await.unwrap();
    seen.extend(texts_of(
        &raw_record(&session.database, &session.session).await,
    ));
    until("the saves and the logout on the channel", 5_000, || {
        messages.length() >= 3
    })
    .await;
    seen.extend(messages.iter().map(|m| m.as_string().unwrap()));
    assert!(seen.len() >= 10, "{} texts looked at", seen.len());
    for text in &seen {
        assert!(!text.contains("secret"), "a token leaked ({lock}): {text}");
    }
}

#[wasm_bindgen_test]
async fn no_token_reaches_indexeddb_or_a_broadcast() {
    no_token_is_stored_or_broadcast_with("web-locks").await;
    no_token_is_stored_or_broadcast_with("lease").await;
}
