//! Browser tests: the seed's scenarios and the lock's contract against real
//! IndexedDB and Web Locks. Several managers in one page stand in for tabs;
//! a dedicated worker stands in for another context holding the lock.
#![cfg(target_arch = "wasm32")]

mod executor;
mod faults_indexeddb;
mod faults_inputs;
mod faults_platform;
mod faults_steps;
mod faults_store;
mod flow;
mod guard;
mod inputs;
mod lease;
mod no_tokens;
mod notify;
mod notify_messages;
mod regressions_close;
mod regressions_generation;
mod regressions_lock;
mod regressions_reload;
mod regressions_session;
mod rust_api;
mod seed;
mod store;
mod support;

use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

// ---- tokens and hashes shared by seed.rs, store.rs, guard.rs, inputs.rs ----

const PREV: (&str, &str) = ("prev-access-token", "prev-refresh-token");
const NEXT: (&str, &str) = ("next-access-token", "next-refresh-token");

fn prev() -> JsValue {
    tokens(PREV.0, Some(PREV.1))
}
fn next() -> JsValue {
    tokens(NEXT.0, Some(NEXT.1))
}

/// The hash of the tokens as a context sees it after restoring them.
async fn hash_of(session: &Session, tokens: JsValue) -> String {
    let probe = session.open().await;
    done(probe.restore_session(tokens)).await.unwrap();
    let hash = probe.known_session_hash().as_string().unwrap();
    probe.close();
    hash
}
